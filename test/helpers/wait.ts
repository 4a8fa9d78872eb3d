import type { TestApp } from './test-app';

/** Polls `check` every 50 ms until it holds; resolves with the milliseconds it took, rejects after `ms`. */
export async function eventually(check: () => Promise<boolean>, ms: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${ms} ms`);
}

/** The cache backend an app reports in /ready: memory, redis or disabled. */
export async function readyBackend(t: TestApp): Promise<string> {
  return ((await (await fetch(`${t.baseUrl}/ready`)).json()) as { cache: string }).cache;
}
