import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../helpers/test-app';

/** The README's Sandbox walkthrough, step by step, against the server: what it says is what it answers. */
describe("the README's Sandbox walkthrough", () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('## Using Apollo Sandbox with a key');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1)).replace(/\s+/g, ' ');
  const step = (n: number) => section.slice(section.indexOf(` ${n}. `), section.indexOf(` ${n + 1}. `));
  const code = (text: string, prefix: string) => new RegExp(`\`(${prefix}[^\`]*)\``).exec(text)![1]!;
  const me = code(step(3), 'query \\{ me');
  const users = code(step(4), 'query \\{ users');
  const update = code(step(5), 'mutation \\{ updateUser');

  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(); // its admin is user 1, like the first admin of a development start
  });
  afterAll(() => t.close());

  const statusOf = async (query: string) => {
    const res = await t.admin.request(query);
    expect(res.body.errors).toBeUndefined();
    const cache = res.body.extensions?.cache as { status: string; fields: { path: string; status: string }[] };
    expect(res.headers.get('x-cache')).toBe(cache.status);
    return cache;
  };

  it('says what the server answers after updateUser: me MISS, users PARTIAL, then HIT', async () => {
    expect(step(3)).toContain('"status": "MISS"');
    expect((await statusOf(me)).status).toBe('MISS');
    expect((await statusOf(me)).status).toBe('HIT');
    expect(step(4)).toContain('MISS, then HIT');
    expect((await statusOf(users)).status).toBe('MISS');
    expect((await statusOf(users)).status).toBe('HIT');

    await t.admin.ok(update);
    expect(step(5)).toContain('Run `me` again: `MISS`');
    expect((await statusOf(me)).status).toBe('MISS');
    expect(step(5)).toContain('Run `users` again: `PARTIAL`');
    const partial = await statusOf(users);
    expect(partial.status).toBe('PARTIAL');
    // why, as the README explains: the list was evicted, the users' keys were not
    expect(step(5)).toContain('the `users` field is a MISS');
    expect(step(5)).toContain('each `users.items.N.apiKeys` field is a HIT');
    expect(partial.fields.find((f) => f.path === 'users')!.status).toBe('MISS');
    const keys = partial.fields.filter((f) => /^users\.items\.\d+\.apiKeys$/.test(f.path));
    expect(keys.length).toBeGreaterThan(0);
    for (const f of keys) expect(f.status).toBe('HIT');

    expect(step(5)).toContain('Run both once more: `HIT`');
    expect((await statusOf(me)).status).toBe('HIT');
    expect((await statusOf(users)).status).toBe('HIT');
  });
});
