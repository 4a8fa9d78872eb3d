import { databaseKinds } from '../helpers/databases';
import { startTestApp, type TestApp } from '../helpers/test-app';

const USER = 'query($id: ID!) { user(id: $id) { id email fullName role createdAt updatedAt } }';
const USERS =
  'query($page: Int, $size: Int) { users(page: $page, size: $size) { total page size items { id email } } }';
const CREATE = 'mutation($input: CreateUserInput!) { createUser(input: $input) { id email fullName role } }';
const UPDATE =
  'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id email fullName role updatedAt } }';
const DELETE = 'mutation($id: ID!) { deleteUser(id: $id) }';

describe.each(databaseKinds)('users (%s)', (database) => {
  let t: TestApp;
  const userCount = async () =>
    Number((await t.app.orm.em.getConnection().execute('select count(*) as n from users'))[0].n);

  beforeAll(async () => {
    t = await startTestApp({ database });
  });
  afterAll(async () => t?.close());

  describe('me and user(id)', () => {
    it('me answers for the caller', async () => {
      const u = await t.createUser();
      const { me } = await u.client.ok<{ me: { id: string; email: string; role: string } }>('{ me { id email role } }');
      expect(me).toEqual({ id: u.id, email: u.email, role: 'USER' });
    });

    it('user(id) answers any authenticated user, with ISO dates, and null when absent', async () => {
      const u = await t.createUser();
      const { user } = await u.client.ok<{ user: Record<string, string> }>(USER, { id: '1' });
      expect(user).toMatchObject({ id: '1', email: 'admin@example.com', role: 'ADMIN' });
      expect(user.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect((await u.client.ok<{ user: null }>(USER, { id: '999999' })).user).toBeNull();
      expect(await u.client.errorCode(USER, { id: 'not-an-id' })).toBe('BAD_USER_INPUT'); // not a row id
      expect(await t.anonymous.errorCode(USER, { id: '1' })).toBe('UNAUTHENTICATED');
    });
  });

  describe('users(page, size)', () => {
    it('pages through every user, by id, for an ADMIN', async () => {
      for (let i = 0; i < 3; i++) await t.createUser();
      const total = await userCount();
      const first = await t.admin.ok<{ users: { total: number; page: number; size: number; items: { id: string }[] } }>(
        USERS,
        { page: 1, size: 2 },
      );
      expect(first.users).toMatchObject({ total, page: 1, size: 2 });
      expect(first.users.items).toHaveLength(2);
      const second = await t.admin.ok<{ users: { items: { id: string }[] } }>(USERS, { page: 2, size: 2 });
      const ids = [...first.users.items, ...second.users.items].map((u) => Number(u.id));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(4);
      const beyond = await t.admin.ok<{ users: { items: unknown[]; total: number } }>(USERS, { page: 1000, size: 100 });
      expect(beyond.users).toMatchObject({ items: [], total });
    });

    it('defaults to page 1, size 20', async () => {
      const { users } = await t.admin.ok<{ users: { page: number; size: number } }>('{ users { page size } }');
      expect(users).toEqual({ page: 1, size: 20 });
    });

    it.each([0, 101, -1])('refuses size %p with BAD_USER_INPUT naming the argument', async (size) => {
      const res = await t.admin.request(USERS, { page: 1, size });
      expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.body.errors?.[0]?.message).toMatch(/size/);
    });

    it('refuses page 0 with BAD_USER_INPUT', async () => {
      expect(await t.admin.errorCode(USERS, { page: 0, size: 10 })).toBe('BAD_USER_INPUT');
    });

    it('is FORBIDDEN to a USER', async () => {
      const u = await t.createUser();
      const res = await u.client.request(USERS, {});
      expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(res.body.data).toBeNull();
    });
  });

  describe('createUser', () => {
    it('creates a user for an ADMIN, role USER by default, email normalised', async () => {
      const { createUser } = await t.admin.ok<{
        createUser: { id: string; email: string; role: string; fullName: string };
      }>(CREATE, {
        input: { email: 'New.Person@Example.com', fullName: 'New Person' },
      });
      expect(createUser).toMatchObject({ email: 'new.person@example.com', role: 'USER', fullName: 'New Person' });
      const { user } = await t.admin.ok<{ user: { email: string } }>(USER, { id: createUser.id });
      expect(user.email).toBe('new.person@example.com');
    });

    it('is FORBIDDEN to a USER and creates nothing', async () => {
      const u = await t.createUser();
      const before = await userCount();
      expect(await u.client.errorCode(CREATE, { input: { email: 'x1@example.com', fullName: 'X' } })).toBe('FORBIDDEN');
      expect(await userCount()).toBe(before);
    });

    it.each([
      ['a malformed email', { email: 'not-an-email', fullName: 'X' }, /email/],
      ['an empty name', { email: 'ok1@example.com', fullName: '' }, /fullName/],
      ['a blank name', { email: 'ok2@example.com', fullName: '   ' }, /fullName/],
      ['an unknown role', { email: 'ok3@example.com', fullName: 'X', role: 'SUPERUSER' }, /role|Role|SUPERUSER/],
    ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_what, input, field) => {
      const before = await userCount();
      const res = await t.admin.request(CREATE, { input });
      expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.body.errors?.[0]?.message).toMatch(field);
      expect(await userCount()).toBe(before);
    });

    it('refuses an unknown role written in the query itself with BAD_USER_INPUT', async () => {
      const res = await t.admin.request(
        'mutation { createUser(input: { email: "lit@example.com", fullName: "L", role: SUPERUSER }) { id } }',
      );
      expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('refuses a duplicate email, whatever its case, with BAD_USER_INPUT and writes nothing', async () => {
      const u = await t.createUser();
      const before = await userCount();
      const res = await t.admin.request(CREATE, { input: { email: u.email.toUpperCase(), fullName: 'Dup' } });
      expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.body.errors?.[0]?.message).toMatch(/email/);
      expect(await userCount()).toBe(before);
    });
  });

  describe('updateUser', () => {
    it('lets a user update themself (not their role)', async () => {
      const u = await t.createUser();
      const { updateUser } = await u.client.ok<{ updateUser: { fullName: string; email: string } }>(UPDATE, {
        id: u.id,
        input: { fullName: 'Renamed' },
      });
      expect(updateUser).toMatchObject({ fullName: 'Renamed', email: u.email });
      expect(await u.client.errorCode(UPDATE, { id: u.id, input: { role: 'ADMIN' } })).toBe('FORBIDDEN');
      expect((await u.client.ok<{ me: { role: string } }>('{ me { role } }')).me.role).toBe('USER');
    });

    it('is FORBIDDEN on another user, for a USER', async () => {
      const a = await t.createUser();
      const b = await t.createUser();
      expect(await a.client.errorCode(UPDATE, { id: b.id, input: { fullName: 'Hijack' } })).toBe('FORBIDDEN');
      expect((await t.admin.ok<{ user: { fullName: string } }>(USER, { id: b.id })).user.fullName).toBe('Test User');
    });

    it('lets an ADMIN change anyone, role included', async () => {
      const u = await t.createUser();
      const { updateUser } = await t.admin.ok<{ updateUser: { role: string } }>(UPDATE, {
        id: u.id,
        input: { role: 'ADMIN' },
      });
      expect(updateUser.role).toBe('ADMIN');
      expect(await u.client.errorCode(USERS, {})).toBeUndefined();
    });

    it('refuses bad input and duplicate emails, and changes nothing', async () => {
      const a = await t.createUser();
      const b = await t.createUser();
      expect(await a.client.errorCode(UPDATE, { id: a.id, input: { email: 'nope' } })).toBe('BAD_USER_INPUT');
      expect(await a.client.errorCode(UPDATE, { id: a.id, input: { email: b.email, fullName: 'Changed' } })).toBe(
        'BAD_USER_INPUT',
      );
      expect(await a.client.errorCode(UPDATE, { id: a.id, input: { role: 'NOPE' } })).toBe('BAD_USER_INPUT');
      const { user } = await t.admin.ok<{ user: { email: string; fullName: string } }>(USER, { id: a.id });
      expect(user).toEqual({ ...user, email: a.email, fullName: 'Test User' });
    });

    it('answers NOT_FOUND for an absent user', async () => {
      expect(await t.admin.errorCode(UPDATE, { id: '999999', input: { fullName: 'X' } })).toBe('NOT_FOUND');
    });

    it('moves updatedAt forward', async () => {
      const u = await t.createUser();
      const before = (await t.admin.ok<{ user: { updatedAt: string } }>(USER, { id: u.id })).user.updatedAt;
      await new Promise((r) => setTimeout(r, 10));
      const after = (
        await t.admin.ok<{ updateUser: { updatedAt: string } }>(UPDATE, { id: u.id, input: { fullName: 'Later' } })
      ).updateUser.updatedAt;
      expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
    });
  });

  describe('deleteUser', () => {
    it('deletes a user and their keys, for an ADMIN', async () => {
      const u = await t.createUser();
      expect((await t.admin.ok<{ deleteUser: boolean }>(DELETE, { id: u.id })).deleteUser).toBe(true);
      expect((await t.admin.ok<{ user: null }>(USER, { id: u.id })).user).toBeNull();
      const keys = await t.app.orm.em
        .getConnection()
        .execute('select count(*) as n from api_keys where owner_id = ?', [Number(u.id)]);
      expect(Number(keys[0].n)).toBe(0);
      expect((await t.admin.ok<{ deleteUser: boolean }>(DELETE, { id: u.id })).deleteUser).toBe(false);
    });

    it('is FORBIDDEN to a USER, even on themself', async () => {
      const u = await t.createUser();
      expect(await u.client.errorCode(DELETE, { id: u.id })).toBe('FORBIDDEN');
      expect((await u.client.ok<{ me: { id: string } }>('{ me { id } }')).me.id).toBe(u.id);
    });

    it('refuses an ADMIN deleting themself', async () => {
      expect(await t.admin.errorCode(DELETE, { id: '1' })).toBe('BAD_USER_INPUT');
    });
  });
});
