/**
 * `npm run codegen:check`: fails when the committed client (client/generated) drifted from
 * schema.graphql or client/operations.
 *
 * It runs GraphQL Code Generator programmatically with the config of codegen.ts, every output path
 * moved into a temporary directory (so the working tree is never touched), then compares each output
 * file, byte for byte, with the committed one; files that exist on one side only are drift too.
 * Reads the schema file, never a server: works offline.
 *
 * Exit 0: "client/generated is up to date."; exit 1: the drifted files and how to fix it; exit 2: codegen
 * itself failed (e.g. an operation that does not validate against the schema).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { type CodegenConfig, generate } from '@graphql-codegen/cli';
import config from '../codegen';

const root = resolve(__dirname, '..');

/** Every file under `dir` (relative paths with `/`), or [] when it does not exist. */
function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  if (statSync(dir).isFile()) return [''];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full).map((f) => `${entry.name}/${f}`));
    else if (entry.isFile()) out.push(entry.name);
  }
  return out.sort();
}

/** The path as shown to people: relative to the repository, with `/`. */
const show = (path: string) => relative(root, path).split(sep).join('/');

async function main(): Promise<number> {
  process.chdir(root);
  const started = Date.now();
  const generates = config.generates;
  if (Array.isArray(generates) || typeof generates !== 'object') {
    console.error('codegen-check: codegen.ts must export `generates` as an object keyed by output path.');
    return 2;
  }
  const outputs = Object.keys(generates);
  const temp = mkdtempSync(join(tmpdir(), 'codegen-check-'));
  try {
    // Same config, same cwd (schema and documents resolve as in `npm run codegen`), outputs elsewhere.
    const moved: Record<string, (typeof generates)[string]> = {};
    const targets = outputs.map((output, i) => {
      const isDir = output.endsWith('/');
      const tempPath = join(temp, String(i), ...output.split('/').filter(Boolean)) + (isDir ? '/' : '');
      moved[tempPath] = generates[output];
      return { committed: resolve(root, output), generated: tempPath };
    });
    const checkConfig: CodegenConfig & { cwd: string } = {
      ...config,
      generates: moved,
      watch: false,
      silent: true,
      cwd: root,
    };
    try {
      await generate(checkConfig, true);
    } catch (error) {
      console.error('codegen-check: GraphQL Code Generator failed:');
      console.error(error instanceof Error ? error.message : error);
      return 2;
    }

    const drifted: string[] = [];
    for (const { committed, generated } of targets) {
      const files = new Set([...listFiles(committed), ...listFiles(generated)]);
      for (const file of [...files].sort()) {
        const committedFile = file ? join(committed, file) : committed;
        const generatedFile = file ? join(generated, file) : generated;
        const has = existsSync(committedFile);
        const fresh = existsSync(generatedFile);
        if (!has) drifted.push(`${show(committedFile)} (missing: codegen produces it)`);
        else if (!fresh) drifted.push(`${show(committedFile)} (stale: codegen no longer produces it)`);
        else if (!readFileSync(committedFile).equals(readFileSync(generatedFile)))
          drifted.push(`${show(committedFile)} (differs)`);
      }
    }
    const took = `${((Date.now() - started) / 1000).toFixed(1)}s`;
    if (drifted.length > 0) {
      console.error('client/generated is out of date: run `npm run codegen` and commit it.');
      console.error(`Drifted file(s), compared with schema.graphql + client/operations (${took}):`);
      for (const line of drifted) console.error(`  - ${line}`);
      return 1;
    }
    console.log(`client/generated is up to date. (${targets.length} output(s), ${took})`);
    return 0;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error('codegen-check: unexpected failure:', error);
    process.exit(2);
  },
);
