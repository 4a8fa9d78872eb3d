import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Without redis-server installed, every Redis test used to wait 5 s for a PING that could never come:
 * the helper now says at once that the binary is missing, and what to do.
 */
describe('startRedisServer without redis-server', () => {
  it('not on the PATH: says so, with what to do, at once', async () => {
    // A process whose PATH holds no redis-server, as on a machine without it.
    const script = `
      const { startRedisServer } = require('./test/helpers/redis-server');
      const started = Date.now();
      startRedisServer().then(
        () => { console.log('started?!'); process.exit(1); },
        (err) => { console.log(JSON.stringify({ message: err.message, ms: Date.now() - started })); process.exit(0); },
      );`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', '-e', script], {
      cwd: join(__dirname, '..', '..'),
      env: { PATH: '/nonexistent', HOME: process.env.HOME ?? '/tmp' },
    });
    const { message, ms } = JSON.parse(stdout.trim().split('\n').pop()!) as { message: string; ms: number };
    expect(message).toBe('redis-server not found: install it (apt-get install redis-server) or set REDIS_URL');
    expect(ms).toBeLessThan(4000);
  });

  it('REDIS_SERVER_BIN naming a missing file: the same, at once for every later start too', async () => {
    const saved = process.env.REDIS_SERVER_BIN;
    process.env.REDIS_SERVER_BIN = '/nonexistent/redis-server';
    let helper!: typeof import('../helpers/redis-server');
    jest.isolateModules(() => {
      helper = require('../helpers/redis-server');
    });
    if (saved === undefined) delete process.env.REDIS_SERVER_BIN;
    else process.env.REDIS_SERVER_BIN = saved;
    const message =
      'redis-server not found: install it (apt-get install redis-server) or set REDIS_URL (REDIS_SERVER_BIN=/nonexistent/redis-server does not exist)';
    let started = Date.now();
    await expect(helper.startRedisServer()).rejects.toThrow(message);
    expect(Date.now() - started).toBeLessThan(4000);
    started = Date.now();
    await expect(helper.startRedisServer()).rejects.toThrow(message);
    expect(Date.now() - started).toBeLessThan(4000);
  });
});
