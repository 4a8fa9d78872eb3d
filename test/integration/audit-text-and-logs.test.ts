import { Writable } from 'node:stream';
import { DriverException } from '@mikro-orm/core';
import { createLogger, safeError } from '../../src/logger';
import { startTestApp, type TestApp } from '../helpers/test-app';

// Audit: a NUL (or any control character) in text input was a 500 whose error log held the SQL with its
// values (MikroORM inlines them: emails, secret hashes). Text input is refused with BAD_USER_INPUT naming
// the field; logged errors carry the driver's reason and code, never SQL; secrets are redacted in every
// log line.

const CREATE_USER = 'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }';
const UPDATE_USER = 'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { fullName } }';
const CREATE_KEY = 'mutation($name: String!, $userId: ID) { createApiKey(name: $name, userId: $userId) { secret } }';

const CONTROL = ['\u0000', '\u0001', '\t', '\n', '\r', '\u001b', '\u001f', '\u007f', '\u0085', '\u009f'];
const HEX64 = /[0-9a-f]{64}/i;

describe('audit: control characters in text input', () => {
  let t: TestApp;
  const logLines: string[] = [];
  beforeAll(async () => {
    t = await startTestApp({ logLines });
  });
  afterAll(async () => t?.close());

  const count = async (sql: string, params: unknown[]) =>
    Number(Object.values((await t.app.orm.em.getConnection().execute(sql, params))[0] as object)[0]);

  async function expectRefused(query: string, variables: object, field: string) {
    const res = await t.admin.request(query, variables);
    expect(res.status).toBe(200);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.message).toContain(`${field}: must not contain control characters`);
    expect(res.body.errors?.[0]?.extensions?.fields).toEqual(
      expect.arrayContaining([expect.objectContaining({ field })]),
    );
  }

  it('createUser with a control character in fullName or email is BAD_USER_INPUT naming the field; no row is written', async () => {
    for (const [i, c] of CONTROL.entries()) {
      const email = `ctl-${i}@example.com`;
      await expectRefused(CREATE_USER, { input: { email, fullName: `a${c}b` } }, 'fullName');
      await expectRefused(CREATE_USER, { input: { email: `ctl-${i}${c}x@example.com`, fullName: 'Fine' } }, 'email');
      expect(await count('select count(*) as n from users where email like ?', [`ctl-${i}%`])).toBe(0);
    }
  });

  it('updateUser with a NUL in fullName is BAD_USER_INPUT naming the field; the row is unchanged', async () => {
    const u = await t.createUser();
    await expectRefused(UPDATE_USER, { id: u.id, input: { fullName: 'x\u0000y' } }, 'fullName');
    const res = await u.client.request(UPDATE_USER, { id: u.id, input: { fullName: '\u0000' } });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await count('select count(*) as n from users where id = ? and full_name = ?', [u.id, 'Test User'])).toBe(1);
  });

  it('createApiKey with a control character in name is BAD_USER_INPUT naming the field; no key is written', async () => {
    const u = await t.createUser();
    for (const c of CONTROL) {
      await expectRefused(CREATE_KEY, { name: `k${c}`, userId: u.id }, 'name');
      const own = await u.client.request(CREATE_KEY, { name: `own${c}key` });
      expect(own.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(await count('select count(*) as n from api_keys where owner_id = ?', [u.id])).toBe(1); // the helper's
  });

  it('a lone surrogate is refused too; ordinary text (accents, emoji, spaces) is accepted', async () => {
    const res = await t.admin.request(CREATE_USER, { input: { email: 'lone@example.com', fullName: 'a\ud800b' } });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.message).toContain('fullName: must be well-formed Unicode');
    const fine = 'Zoë Ångström-O’Brien 👩‍💻 李';
    const ok = await t.admin.ok<{ createUser: { id: string } }>(CREATE_USER, {
      input: { email: 'fine@example.com', fullName: fine },
    });
    const read = await t.admin.ok<{ user: { fullName: string } }>('query($id: ID!) { user(id: $id) { fullName } }', {
      id: ok.createUser.id,
    });
    expect(read.user.fullName).toBe(fine);
  });

  it('a database error is logged with its reason and code, but no SQL, values or secret hash', async () => {
    const conn = t.app.orm.em.getConnection();
    const u = await t.createUser();
    await conn.execute(
      "create trigger audit_fail_keys before insert on api_keys begin select raise(abort, 'forced by the audit'); end",
    );
    await conn.execute(
      "create trigger audit_fail_users before insert on users begin select raise(abort, 'forced by the audit'); end",
    );
    logLines.splice(0);
    try {
      const key = await t.admin.request(CREATE_KEY, { name: 'audit-key-name-1234', userId: u.id });
      expect(key.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      const user = await t.admin.request(CREATE_USER, {
        input: { email: 'logged@example.com', fullName: 'Logged Name' },
      });
      expect(user.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await conn.execute('drop trigger audit_fail_keys');
      await conn.execute('drop trigger audit_fail_users');
    }
    const errors = logLines.filter((line) => line.includes('unexpected error in a GraphQL request'));
    expect(errors).toHaveLength(2);
    for (const line of errors) {
      const { err } = JSON.parse(line) as { err: { message: string; code: string; stack: string } };
      expect(err.message).toBe('forced by the audit');
      expect(err.code).toMatch(/^SQLITE_CONSTRAINT/);
      expect(line).not.toMatch(
        /insert into|values \(|api_keys|secret_hash|audit-key-name|logged@example|Logged Name|gqk_/i,
      );
      expect(line).not.toMatch(HEX64);
    }
  });
});

describe('audit: what the logger lets through', () => {
  function capture(): {
    logger: ReturnType<typeof createLogger>;
    lines: () => Record<string, any>[];
    text: () => string;
  } {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'info', pretty: false, destination });
    const text = () => chunks.join('');
    return {
      logger,
      text,
      lines: () =>
        text()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l)),
    };
  }

  it('redacts secrets, secret hashes, Authorization and X-API-Key wherever they are', () => {
    const { logger, lines, text } = capture();
    logger.info({ secret: 'x-secret', headers: { authorization: 'Bearer y-token' } }, 'one');
    logger.info(
      {
        secretHash: 'h'.repeat(64),
        authorization: 'Bearer top',
        'x-api-key': 'gqk_top',
        req: { headers: { authorization: 'Bearer req', 'x-api-key': 'gqk_req' } },
        key: { secret: 'gqk_nested', secretHash: 'nested-hash', secret_hash: 'column-hash' },
        created: { apiKey: { secret: 'gqk_deep' } },
      },
      'two',
    );
    const [one, two] = lines();
    expect(one).toMatchObject({ secret: '[redacted]', headers: { authorization: '[redacted]' }, msg: 'one' });
    expect(two).toMatchObject({
      secretHash: '[redacted]',
      authorization: '[redacted]',
      'x-api-key': '[redacted]',
      req: { headers: { authorization: '[redacted]', 'x-api-key': '[redacted]' } },
      key: { secret: '[redacted]', secretHash: '[redacted]', secret_hash: '[redacted]' },
      created: { apiKey: { secret: '[redacted]' } },
    });
    expect(text()).not.toMatch(/x-secret|y-token|Bearer|gqk_|hhhh|nested-hash|column-hash/);
  });

  it('logs a database error (err) as its reason and code only: no SQL, no values, no other properties', () => {
    const { logger, text } = capture();
    const previous = Object.assign(
      new Error(
        "insert into `api_keys` (`name`, `secret_hash`) values ('my-key', 'abababababababababababababababababababababababababababababababab') - UNIQUE constraint failed: api_keys.secret_hash",
      ),
      {
        code: 'SQLITE_CONSTRAINT_UNIQUE',
        sql: 'insert into ...',
        params: ['my-key'],
        query: 'insert',
        detail: 'Key (secret_hash)=(ab)',
      },
    );
    const error = new DriverException(previous);
    logger.error({ err: error }, 'failed');
    const line = JSON.parse(text()) as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({
      type: 'DriverException',
      message: 'UNIQUE constraint failed: api_keys.secret_hash',
      code: 'SQLITE_CONSTRAINT_UNIQUE',
    });
    expect(Object.keys(line.err).sort()).toEqual(['code', 'message', 'stack', 'type']);
    expect(text()).not.toMatch(/insert into|my-key|abab|Key \(/);
    expect(safeError('not an error')).toBe('not an error');
  });
});
