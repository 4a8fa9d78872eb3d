import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/free-port';
import { GraphQLClient } from '../helpers/graphql-client';

const ROOT = join(__dirname, '..', '..');

describe("the README's quick start", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)![1]!;
  const commands = firstBlock
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean);

  it('opens with the two commands: run the server on the embedded default, run the tests', () => {
    expect(readme.indexOf('```bash')).toBeLessThan(200);
    expect(commands).toEqual(['npm install && npm start', 'npm test']);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.test).toBe('jest');
  });

  it('`npm start` serves /graphql and prints the Sandbox URL and a header that works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gql-quickstart-'));
    const port = await freePort();
    // word for word, in the repository, with only the port and the database file moved aside
    const child = spawn('npm', ['start'], {
      cwd: ROOT,
      detached: true,
      env: {
        PATH: process.env.PATH!,
        HOME: process.env.HOME ?? '/tmp',
        PORT: String(port),
        DATABASE_URL: `sqlite:${join(dir, 'app.db')}`,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    try {
      const started = Date.now();
      while (!/value: +Bearer gqk_\S+/.test(out)) {
        if (Date.now() - started > 30_000 || child.exitCode !== null) throw new Error(`no banner: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(out).toContain(`Apollo Sandbox: open http://localhost:${port}/graphql`);
      const key = /value: +Bearer (gqk_\S+)/.exec(out)![1]!;
      const data = await new GraphQLClient(`http://127.0.0.1:${port}/graphql`, key).ok<{ users: { total: number } }>(
        '{ users { total } }',
      );
      expect(data.users.total).toBe(1);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
