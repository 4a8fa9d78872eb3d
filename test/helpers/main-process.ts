import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface MainProcess {
  child: ChildProcess;
  /** Everything written so far, stdout and stderr together. */
  output(): string;
  /** Resolves with the first match of `re` in the output; rejects when the process exits first or after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code. */
  exited(): Promise<number | null>;
  /** SIGKILL when still running. */
  kill(): void;
}

/** The real entry point (`node -r @swc-node/register src/main.ts`) with only `env` (and PATH, HOME). */
export function startMain(env: Record<string, string>): MainProcess {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    waitFor: (re, ms = 20_000) =>
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const started = Date.now();
        const tick = () => {
          const m = out.match(re);
          if (m) return resolve(m);
          if (child.exitCode !== null) return reject(new Error(`exited ${child.exitCode}: ${out}`));
          if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${re}: ${out}`));
          setTimeout(tick, 50);
        };
        tick();
      }),
    exited: () => exit,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Runs the entry point until it exits (it must, within `ms`); its exit code and output. */
export async function runMainToExit(
  env: Record<string, string>,
  ms = 25_000,
): Promise<{ code: number | null; output: string }> {
  const main = startMain(env);
  const timer = setTimeout(() => main.kill(), ms);
  try {
    const code = await main.exited();
    return { code, output: main.output() };
  } finally {
    clearTimeout(timer);
  }
}
