/**
 * fast-check settings of the property suites: a fixed seed in `npm test` (reproducible), and
 * `FC_SEED` / `FC_RUNS` to change them: `FC_SEED=random` (what `npm run test:property:random` sets)
 * draws a seed and prints it, so a failure found that way can be replayed with `FC_SEED=<seed>`.
 *
 * Each run talks to real servers, so the suites are time-boxed: without FC_RUNS, runs stop after
 * `FC_TIME_BUDGET_MS` (default 30 s; the runs done are printed), and shrinking a failure stops after
 * `FC_SHRINK_BUDGET_MS` (default 120 s) with the smallest counterexample found so far.
 */
export interface PropertySettings {
  seed: number;
  numRuns: number;
  /** For test names: `seed 42, 150 runs`. */
  label: string;
  runBudgetMs: number;
  shrinkBudgetMs: number;
}

const intFromEnv = (name: string): number | undefined => {
  const raw = process.env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got: ${JSON.stringify(raw)}`);
  return n;
};

export function propertySettings(file: string, defaults: { seed: number; numRuns: number }): PropertySettings {
  const raw = process.env.FC_SEED?.trim();
  const seed = !raw ? defaults.seed : raw === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(raw);
  if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer or "random", got: ${JSON.stringify(raw)}`);
  const runs = intFromEnv('FC_RUNS');
  const numRuns = runs ?? defaults.numRuns;
  const runBudgetMs = intFromEnv('FC_TIME_BUDGET_MS') ?? (runs === undefined ? 30_000 : Number.POSITIVE_INFINITY);
  const shrinkBudgetMs = intFromEnv('FC_SHRINK_BUDGET_MS') ?? 120_000;
  if (raw === 'random')
    process.stderr.write(`\n${file}: FC_SEED=${seed} FC_RUNS=${numRuns} (replay with FC_SEED=${seed})\n`);
  return { seed, numRuns, label: `seed ${seed}, ${numRuns} runs`, runBudgetMs, shrinkBudgetMs };
}

/** A jest timeout that covers the run budget, the shrink budget and set-up. */
export function testTimeout(s: PropertySettings): number {
  return (Number.isFinite(s.runBudgetMs) ? s.runBudgetMs : 10 * 60_000) + s.shrinkBudgetMs + 60_000;
}

/**
 * Wraps an async property body: runs that would start after the run budget do nothing (and pass), and,
 * once one run failed, shrink candidates after the shrink budget count as passing, so fast-check ends
 * with the smallest counterexample so far instead of the test timing out. `stats.runs` counts the runs
 * that executed before any failure.
 */
export function timeBoxed<T>(
  s: PropertySettings,
  body: (value: T) => Promise<void>,
): { property: (value: T) => Promise<void>; stats: { runs: number; skipped: number } } {
  const started = Date.now();
  let failedAt: number | null = null;
  const stats = { runs: 0, skipped: 0 };
  return {
    stats,
    property: async (value: T) => {
      if (failedAt === null && Date.now() - started > s.runBudgetMs) {
        stats.skipped++; // counted as passing by fast-check without touching the servers (fc.pre would make it retry)
        return;
      }
      if (failedAt !== null && Date.now() - failedAt > s.shrinkBudgetMs) return;
      try {
        await body(value);
        if (failedAt === null) stats.runs++;
      } catch (err) {
        failedAt ??= Date.now();
        throw err;
      }
    },
  };
}
