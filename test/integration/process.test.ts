import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/free-port';
import { GraphQLClient } from '../helpers/graphql-client';
import { startMain } from '../helpers/main-process';

describe('the server process (npm start)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gql-main-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('on an empty database in development: migrates, prints the Sandbox URL and a working header, stops on SIGTERM', async () => {
    const port = await freePort();
    const main = startMain({
      NODE_ENV: 'development',
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(dir, 'app.db')}`,
      LOG_LEVEL: 'warn',
    });
    try {
      const [, url] = await main.waitFor(/Apollo Sandbox: open (\S+)/);
      const [, key] = await main.waitFor(/value: +Bearer (gqk_\S+)/);
      expect(url).toBe(`http://localhost:${port}/graphql`);
      const me = await new GraphQLClient(`http://127.0.0.1:${port}/graphql`, key).ok<{
        me: { email: string; role: string };
      }>('{ me { email role } }');
      expect(me.me).toEqual({ email: 'admin@example.com', role: 'ADMIN' });

      const started = Date.now();
      const exited = new Promise<number | null>((resolve) => main.child.once('exit', (code) => resolve(code)));
      main.child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      main.child.kill('SIGKILL');
    }
  });

  it('reads a .env file', async () => {
    const envFile = join(dir, 'test.env');
    writeFileSync(envFile, 'REDIS_PORT=not-a-port\n');
    const main = startMain({ DOTENV_CONFIG_PATH: envFile, DATABASE_URL: `sqlite:${join(dir, 'env.db')}` });
    const code = await new Promise<number | null>((resolve) => main.child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(main.output()).toContain('REDIS_PORT must be a port number (1-65535), got: "not-a-port"');
  });

  it('exits non-zero with the variable named when the configuration is bad', async () => {
    const main = startMain({ PORT: 'abc', DATABASE_URL: `sqlite:${join(dir, 'bad.db')}` });
    const code = await new Promise<number | null>((resolve) => main.child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(main.output()).toContain('PORT must be a port number (0-65535), got: "abc"');
  });
});
