import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const ROOT = join(__dirname, '..', '..');

describe('npm run dev', () => {
  it('runs src/ with swc and restarts when a file under src/ is saved, with one-line logs', async () => {
    const script = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.dev as string;
    expect(script).toMatch(/^NODE_ENV=development node .*--watch-path=src .*-r @swc-node\/register src\/main\.ts$/);

    // In a copy (src/, package.json, tsconfig.json, node_modules linked): saving a file of this checkout
    // would make its dist/ stale for the other tests that run `npm start` meanwhile.
    const dir = mkdtempSync(join(tmpdir(), 'gql-dev-'));
    const copy = join(dir, 'repo');
    cpSync(join(ROOT, 'src'), join(copy, 'src'), { recursive: true });
    for (const file of ['package.json', 'tsconfig.json']) cpSync(join(ROOT, file), join(copy, file));
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const child = spawn('npm', ['run', 'dev'], {
      cwd: copy,
      detached: true, // its own process group: npm, node --watch, the server
      env: {
        PATH: process.env.PATH!,
        HOME: process.env.HOME ?? '/tmp',
        PORT: '0',
        DATABASE_URL: `sqlite:${join(dir, 'app.db')}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const readyCount = () => (stripVTControlCharacters(out).match(/GraphQL API ready at \S+ \{"url"/g) ?? []).length;
    const until = async (what: string, ok: () => boolean, ms = 30_000) => {
      const started = Date.now();
      while (!ok()) {
        if (Date.now() - started > ms || child.exitCode !== null) throw new Error(`no ${what}: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await until('first start', () => readyCount() === 1);
      const now = new Date();
      utimesSync(join(copy, 'src', 'main.ts'), now, now); // "saved", unchanged
      await until('restart', () => out.includes("Restarting 'src/main.ts'"));
      await until('second start', () => readyCount() === 2);
      expect(stripVTControlCharacters(out)).toMatch(
        /INFO: shutting down: finishing requests in flight \{"signal":"SIGTERM"\}/,
      );
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
