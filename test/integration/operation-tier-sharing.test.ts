/**
 * Shared operation-tier entries: a response made only of PUBLIC fields, whose authorization looked at
 * nothing but the caller's role, is answered from the tier to every caller of that role, each with its
 * own record (its key's authentication tokens) checked on every request. Proven on two instances
 * sharing Redis (and on one instance with the memory store).
 */
import { ApiKey } from '../../src/modules/api-key/api-key.entity';
import { cacheReport, dataBytes } from '../helpers/cache-report';
import { instancePairLegs, useInstancePair } from '../helpers/instance-pair';
import type { TestApp } from '../helpers/test-app';

const ONE = 'query One($id: ID!) { user(id: $id) { id fullName } }';
const ONE_WITH_KEYS = 'query OneWithKeys($id: ID!) { user(id: $id) { id apiKeys { id } } }';
const USERS = '{ users(page: 1, size: 50) { total items { id fullName role apiKeys { id } } } }';
const ME = '{ me { id fullName } }';
const UPDATE = 'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }';
const REVOKE = 'mutation($id: ID!) { revokeApiKey(id: $id) }';

type Client = TestApp['admin'];

const code = (res: Awaited<ReturnType<Client['request']>>) => res.body.errors?.[0]?.extensions?.code;
const tier = (res: Awaited<ReturnType<Client['request']>>) => cacheReport(res)?.tier;

/**
 * Gives `client` a record on the instance it talks to: a caller's record is written with the first response stored for it,
 * and a response is stored from its second run on (the first finds no token for its authentication yet).
 */
async function enrol(client: Client): Promise<void> {
  await client.request(ME);
  await client.request(ME);
}

describe.each(instancePairLegs)('shared operation-tier entries (%s, %s)', (backend, kind) => {
  const pair = useInstancePair(backend, kind);
  let a: TestApp;
  let b: TestApp;
  beforeAll(() => {
    ({ a, b } = pair);
  });

  it('a PUBLIC response is answered from the tier to another caller of the same role, who never ran it, with no SQL', async () => {
    const [u1, u2, target] = [await a.createUser(), await a.createUser(), await a.createUser()];
    await enrol(u2.client);
    const first = await u1.client.request(ONE, { id: target.id });
    await u1.client.request(ONE, { id: target.id });
    a.resetSql();
    const shared = await u2.client.request(ONE, { id: target.id });
    expect(tier(shared)).toBe('operation');
    expect(a.sql).toEqual([]);
    expect(dataBytes(shared)).toBe(dataBytes(first));
    expect(shared.headers.get('cache-control')).toBe(first.headers.get('cache-control'));
  });

  it('after a write on the other instance, every caller of the role reads the new value', async () => {
    const [u1, u2, target] = [await a.createUser(), await a.createUser(), await a.createUser()];
    await enrol(u1.client);
    await enrol(u2.client);
    await u1.client.request(ONE, { id: target.id });
    await u1.client.request(ONE, { id: target.id });
    expect(tier(await u2.client.request(ONE, { id: target.id }))).toBe('operation');
    await b.admin.ok(UPDATE, { id: target.id, input: { fullName: 'Renamed on B' } });
    for (const u of [u2, u1, u2]) {
      const res = await u.client.request<{ user: { fullName: string } }>(ONE, { id: target.id });
      expect(res.body.data?.user.fullName).toBe('Renamed on B');
    }
    // The first read after the write refreshed the shared entry for both.
    expect(tier(await u1.client.request(ONE, { id: target.id }))).toBe('operation');
  });

  it('is never served to a caller whose key was revoked (on the other instance), nor to one with no key or an unknown key', async () => {
    const [u1, u2, target] = [await a.createUser(), await a.createUser(), await a.createUser()];
    await enrol(u2.client);
    await u1.client.request(ONE, { id: target.id });
    await u1.client.request(ONE, { id: target.id });
    expect(tier(await u2.client.request(ONE, { id: target.id }))).toBe('operation');
    const [key] = (await a.app.orm.em.fork().find(ApiKey, { owner: Number(u2.id) })) as ApiKey[];
    await b.admin.ok(REVOKE, { id: String(key!.id) });
    expect(code(await u2.client.request(ONE, { id: target.id }))).toBe('UNAUTHENTICATED');
    expect(code(await a.anonymous.request(ONE, { id: target.id }))).toBe('UNAUTHENTICATED');
    expect(code(await a.client(`${u2.key}x`).request(ONE, { id: target.id }))).toBe('UNAUTHENTICATED');
    // The others of the role still share it.
    expect(tier(await u1.client.request(ONE, { id: target.id }))).toBe('operation');
  });

  it('is never served to a caller whose role no longer allows it (changed on the other instance), nor to another role', async () => {
    const [admin1, admin2, user] = [
      await a.createUser({ role: 'ADMIN' }),
      await a.createUser({ role: 'ADMIN' }),
      await a.createUser(),
    ];
    await enrol(admin2.client);
    await enrol(user.client);
    await admin1.client.request(USERS);
    await admin1.client.request(USERS);
    expect(tier(await admin2.client.request(USERS))).toBe('operation');
    // A USER, enrolled and asking the very same operation, is refused: entries are shared within a role only.
    expect(code(await user.client.request(USERS))).toBe('FORBIDDEN');
    await b.admin.ok(UPDATE, { id: admin2.id, input: { role: 'USER' } });
    expect(code(await admin2.client.request(USERS))).toBe('FORBIDDEN');
    // The change also evicted the page (it shows roles): the remaining ADMIN reads it fresh, then shares it again.
    type Page = { users: { items: { id: string; role: string }[] } };
    const fresh = await admin1.client.request<Page>(USERS);
    expect(fresh.body.data?.users.items.find((u) => u.id === admin2.id)?.role).toBe('USER');
    expect(tier(await admin1.client.request(USERS))).toBe('operation');
  });

  it('keeps a response whose authorization looked at who asks (self or ADMIN) for that caller alone', async () => {
    const [self, other] = [await a.createUser(), await a.createUser()];
    await enrol(other.client);
    await self.client.request(ONE_WITH_KEYS, { id: self.id });
    expect(tier(await self.client.request(ONE_WITH_KEYS, { id: self.id }))).toBe('operation');
    // Another USER may not see these keys: refused, never answered with the owner's entry.
    expect(code(await other.client.request(ONE_WITH_KEYS, { id: self.id }))).toBe('FORBIDDEN');
    // PRIVATE fields are never shared either.
    await self.client.request(ME);
    expect(tier(await self.client.request(ME))).toBe('operation');
    const otherMe = await other.client.request<{ me: { id: string } }>(ME);
    expect(otherMe.body.data?.me.id).toBe(other.id);
  });
});
