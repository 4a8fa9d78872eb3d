import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** BENCHMARKS.md at the repository root. */
export const benchmarksFile = join(__dirname, '..', '..', 'BENCHMARKS.md');

/**
 * Replaces what lies between `<!-- name:start -->` and `<!-- name:end -->` in BENCHMARKS.md with
 * `body`, leaving everything else as it is (other tools write other marked sections). The markers are
 * appended at the end of the file when absent.
 */
export function writeMarkedSection(name: string, body: string, file = benchmarksFile): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const from = text.indexOf(start);
  const to = from === -1 ? -1 : text.indexOf(end, from + start.length);
  const block = `${start}\n${body.trim()}\n${end}`;
  const next =
    from === -1 || to === -1
      ? `${text.replace(/\s*$/, '')}\n\n${block}\n`
      : `${text.slice(0, from)}${block}${text.slice(to + end.length)}`;
  writeFileSync(file, next);
}
