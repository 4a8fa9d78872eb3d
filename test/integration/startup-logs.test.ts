import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { GraphQLClient } from '../helpers/graphql-client';
import { type MainProcess, startMain } from '../helpers/main-process';

const ROOT = join(__dirname, '..', '..');
const plain = (text: string) => stripVTControlCharacters(text); // pino-pretty's colours

async function stop(main: MainProcess): Promise<void> {
  main.child.kill('SIGTERM');
  await main.exited();
}

describe('what the real process prints at start', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gql-startlog-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('development: the banner as the README shows it (header key, value), and one line per log call', async () => {
    const main = startMain({
      NODE_ENV: 'development',
      PORT: '0',
      DATABASE_URL: `sqlite:${join(dir, 'dev.db')}`,
      LOG_CATEGORIES: 'CACHE',
    });
    try {
      const [, url] = await main.waitFor(/Apollo Sandbox: open (\S+)/);
      const [, key] = await main.waitFor(/ {4}value: {7}Bearer (gqk_\S+)/);
      await main.waitFor(/GraphQL API ready at/);

      // The README's banner, line for line (its key elided)
      const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
      const banner = /```\n( {2}Apollo Sandbox: open [\s\S]*?)```/.exec(readme)![1]!.trimEnd().split('\n');
      const printed = plain(main.output()).split('\n');
      for (const line of banner) {
        const expected = line.replace('http://localhost:4000/graphql', url!).replace('gqk_…', key!).trimEnd();
        expect(printed).toContain(expected);
      }
      expect(main.output()).not.toContain('{"Authorization"');

      await new GraphQLClient(url!.replace('localhost', '127.0.0.1'), key).ok('{ me { id } }');
      await main.waitFor(/CACHE MISS: Query\.me/);
      const lines = plain(main.output()).split('\n');
      const lookup = lines.filter((l) => l.includes('CACHE MISS: Query.me'));
      expect(lookup).toHaveLength(1);
      // Every log line starts with its time: no field continues on the next lines.
      const logLines = lines.filter((l) => l.trim() !== '' && !l.startsWith('  '));
      for (const line of logLines) expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] \w+: /);
      expect(lines.filter((l) => /^\s{4}\w+: /.test(l) && !/header key|value/.test(l))).toEqual([]);
      const ready = lines.find((l) => l.includes('GraphQL API ready at'))!;
      expect(ready).toContain('"cache":"memory","configured":"memory"');
    } finally {
      await stop(main);
    }
  });

  it('production: the start line gives the live-heap bound, and warns when V8 could not hold it', async () => {
    const env = {
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(dir, 'heap.db')}`,
      METRICS_TOKEN: 'a-token-of-16-chars',
    };
    const roomy = startMain(env);
    try {
      const [line] = await roomy.waitFor(/\{[^\n]*"msg":"GraphQL API ready at[^\n]*\}/);
      const logged = JSON.parse(line!) as { liveHeapBoundMiB: number; heapLimitMiB: number };
      expect(logged.liveHeapBoundMiB).toBe(386); // the defaults: 50 + 2 x 2.5 x 64 + 16
      expect(logged.heapLimitMiB).toBeGreaterThan(386);
      expect(roomy.output()).not.toContain('above this process');
    } finally {
      await stop(roomy);
    }
    const tight = startMain({ ...env, NODE_OPTIONS: '--max-old-space-size=200' });
    try {
      const [line] = await tight.waitFor(/\{[^\n]*"level":40[^\n]*above this process[^\n]*\}/);
      expect(JSON.parse(line!).msg).toMatch(
        /^The caches may keep up to 386 MiB alive, above this process's heap limit of \d+ MiB: lower CACHE_MAX_BYTES or DOCUMENT_CACHE_MAX_BYTES/,
      );
    } finally {
      await stop(tight);
    }
  });

  it.each([
    ['Redis down', { REDIS_ENABLED: 'true', REDIS_URL: 'redis://127.0.0.1:1' }, 'memory', 'redis'],
    ['the cache off', { CACHE_ENABLED: 'false' }, 'disabled', 'disabled'],
  ])(
    'with %s: the start line says what /ready says, and what was configured',
    async (_what, env, cache, configured) => {
      const main = startMain({
        NODE_ENV: 'production',
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: `sqlite:${join(dir, `${configured}.db`)}`,
        METRICS_TOKEN: 'a-token-of-16-chars',
        ...env,
      });
      try {
        const [line] = await main.waitFor(/\{[^\n]*"msg":"GraphQL API ready at[^\n]*\}/);
        const logged = JSON.parse(line!) as { url: string; cache: string; configured: string };
        expect({ cache: logged.cache, configured: logged.configured }).toEqual({ cache, configured });
        const ready = (await (await fetch(new URL('/ready', logged.url))).json()) as { cache: string };
        expect(ready.cache).toBe(logged.cache);
      } finally {
        await stop(main);
      }
    },
  );
});
