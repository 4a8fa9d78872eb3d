import { databaseKinds } from '../helpers/databases';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe.each(databaseKinds)('errors over HTTP (%s)', (database) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database });
  });
  afterAll(async () => t?.close());

  it('a malformed query gets GRAPHQL_PARSE_FAILED, not a 500', async () => {
    const res = await t.admin.request('{ me { id ');
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('an unknown field gets GRAPHQL_VALIDATION_FAILED', async () => {
    const res = await t.admin.request('{ me { password } }');
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('a body that is not JSON gets a JSON 400, not an HTML page', async () => {
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminKey}` },
      body: '{"query": "{ me { id } }"',
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.js|node_modules/);
  });

  it('a request with a non-JSON content type is refused with 400 (CSRF prevention stays on)', async () => {
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{ me { id } }',
    });
    expect(res.status).toBe(400);
  });

  it('variables of the wrong type get BAD_USER_INPUT', async () => {
    const res = await t.admin.request('query($size: Int!) { users(size: $size) { total } }', { size: 'ten' });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('an unexpected failure reaches the client as INTERNAL_SERVER_ERROR with no SQL, stack or secret', async () => {
    const user = await t.createUser();
    const conn = t.app.orm.em.getConnection();
    await conn.execute('alter table users rename column full_name to full_name_gone');
    try {
      const res = await user.client.request('{ me { id fullName } }');
      const text = res.text;
      expect(res.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(res.body.errors?.[0]?.message).toBe('Internal server error');
      expect(text).not.toMatch(/select|full_name|stacktrace|\.ts:\d+|gqk_/i);
      expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    } finally {
      await conn.execute('alter table users rename column full_name_gone to full_name');
    }
  });
});
