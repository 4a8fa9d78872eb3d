import { startTestApp, type TestApp } from '../helpers/test-app';

// Audit: `revokeApiKey` by a non-ADMIN for someone else's key answers exactly like a key that does not
// exist (`false`), not FORBIDDEN, so nobody can probe which key ids exist; an ADMIN revokes any key.

const KEYS = '{ apiKeys { id } }';
const REVOKE = 'mutation($id: ID!) { revokeApiKey(id: $id) }';
const ME = '{ me { id } }';

describe('audit: revokeApiKey cannot probe other users key ids', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it("another user's key answers false, byte for byte like an absent key, and keeps working", async () => {
    const owner = await t.createUser();
    const other = await t.createUser();
    const [key] = (await owner.client.ok<{ apiKeys: { id: string }[] }>(KEYS)).apiKeys;
    const theirs = await other.client.request(REVOKE, { id: key!.id });
    const absent = await other.client.request(REVOKE, { id: '999999' });
    expect(theirs.status).toBe(200);
    expect(theirs.body).toEqual({ data: { revokeApiKey: false } });
    expect(theirs.body).toEqual(absent.body);
    expect(theirs.status).toBe(absent.status);
    expect((await owner.client.ok<{ me: { id: string } }>(ME)).me.id).toBe(owner.id);
  });

  it('the owner revokes their own key; an ADMIN revokes anyone’s', async () => {
    const a = await t.createUser();
    const b = await t.createUser();
    const [aKey] = (await a.client.ok<{ apiKeys: { id: string }[] }>(KEYS)).apiKeys;
    const [bKey] = (await b.client.ok<{ apiKeys: { id: string }[] }>(KEYS)).apiKeys;
    expect((await a.client.ok<{ revokeApiKey: boolean }>(REVOKE, { id: aKey!.id })).revokeApiKey).toBe(true);
    expect(await a.client.errorCode(ME)).toBe('UNAUTHENTICATED');
    expect((await t.admin.ok<{ revokeApiKey: boolean }>(REVOKE, { id: bKey!.id })).revokeApiKey).toBe(true);
    expect(await b.client.errorCode(ME)).toBe('UNAUTHENTICATED');
    expect((await t.admin.ok<{ revokeApiKey: boolean }>(REVOKE, { id: bKey!.id })).revokeApiKey).toBe(false);
  });
});
