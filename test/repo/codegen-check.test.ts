/**
 * `npm run codegen:check` (scripts/codegen-check.ts): passes on the committed client, and fails,
 * naming the files, when an operation changed without `npm run codegen`. The failing case runs on a
 * copy of the inputs in a temporary directory: the working tree is never touched.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

function runCheck(cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['-r', '@swc-node/register', 'scripts/codegen-check.ts'],
      { cwd, timeout: 20_000 },
      (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('codegen:check', () => {
  it('passes: client/generated matches schema.graphql and client/operations', async () => {
    const { code, stdout, stderr } = await runCheck(root);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/client\/generated is up to date\./);
  }, 30_000);

  it('fails, naming the drifted files, when an operation changed without regenerating', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'codegen-check-test-'));
    try {
      for (const path of [
        'codegen.ts',
        'schema.graphql',
        'tsconfig.json',
        'package.json',
        'scripts/codegen-check.ts',
        'client/operations',
        'client/generated',
      ]) {
        cpSync(join(root, path), join(copy, path), { recursive: true });
      }
      symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
      const me = join(copy, 'client/operations/me.graphql');
      writeFileSync(me, readFileSync(me, 'utf8').replace('    email\n', '    email\n    __typename\n'));

      const { code, stderr } = await runCheck(copy);
      expect(code).toBe(1);
      expect(stderr).toContain('client/generated is out of date: run `npm run codegen` and commit it');
      expect(stderr).toContain('client/generated/graphql.ts (differs)');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 30_000);
});
