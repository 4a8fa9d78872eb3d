/**
 * The typed client as a consumer gets it: the README's "A typed client" steps, followed in a new
 * project in a temporary directory, against a running server.
 *
 * Every command and file comes from the README's code blocks (a bash block is named by its first
 * comment line, a file by the first `path` in the text before it). The only changes: the tarball's
 * path and the API key are filled in, `npm pack` writes into the temporary directory
 * (`--pack-destination`), the repository's own `npm install` is not rerun (jest runs from it), and npm
 * may use its local cache (npm_config_prefer_offline): the registry is the only source either way.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startTestApp, type TestApp } from '../helpers/test-app';

const ROOT = join(__dirname, '..', '..');

/** The README's typed-client section: its bash blocks by first comment, its files by path. */
function readmeSteps(): { commands: Map<string, string[]>; files: Map<string, string>; text: string } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## A typed client');
  const end = readme.indexOf('\n## ', start + 1);
  const text = readme.slice(start, end);
  const commands = new Map<string, string[]>();
  const files = new Map<string, string>();
  let previousEnd = 0;
  for (const m of text.matchAll(/^( *)```(\w+)\n([\s\S]*?)^\1```$/gm)) {
    const indent = m[1]!.length;
    const body = m[3]!
      .split('\n')
      .map((line) => line.slice(indent))
      .join('\n');
    const before = text.slice(previousEnd, m.index);
    previousEnd = m.index! + m[0].length;
    if (m[2] === 'bash') {
      const lines = body.split('\n').filter((l) => l.trim());
      const name = /^# (.+)$/.exec(lines[0] ?? '')?.[1];
      if (!name)
        throw new Error(`README: a bash block of the typed-client section has no "# name" first line:\n${body}`);
      commands.set(name, lines.slice(1));
    } else {
      const path = /`([\w./-]+\.(?:json|ts|graphql))`/.exec(before)?.[1];
      if (!path) throw new Error(`README: no file path before this ${m[2]} block:\n${body}`);
      files.set(path, body);
    }
  }
  return { commands, files, text };
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a README command line with /bin/sh in `cwd` (asynchronously: the server runs in this process). */
function sh(command: string, cwd: string, env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      cwd,
      env: {
        PATH: process.env.PATH!,
        HOME: process.env.HOME ?? '/root',
        npm_config_prefer_offline: 'true',
        npm_config_update_notifier: 'false',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function ok(command: string, cwd: string, env?: Record<string, string>): Promise<string> {
  const result = await sh(command, cwd, env);
  if (result.code !== 0)
    throw new Error(`\`${command}\` failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

describe('the typed client from a consumer project (README, "A typed client")', () => {
  const { commands, files, text } = readmeSteps();
  let t: TestApp;
  let temp: string;
  let project: string;

  beforeAll(async () => {
    t = await startTestApp();
    temp = mkdtempSync(join(tmpdir(), 'client-consumer-'));
    project = join(temp, 'my-app');
    mkdirSync(project);
  });
  afterAll(async () => {
    await t?.close();
    // the project's node_modules: removed in the background, the suite does not wait for it
    if (temp) spawn('rm', ['-rf', temp], { detached: true, stdio: 'ignore' }).unref();
  });

  const write = (path: string) => {
    const content = files.get(path);
    if (content === undefined) throw new Error(`README: no ${path} block`);
    mkdirSync(dirname(join(project, path)), { recursive: true });
    writeFileSync(join(project, path), content);
  };
  /** README commands with the placeholders filled in. */
  const fill = (line: string, tarball: string) =>
    line.replace(/\S*graphql-resolver-cache-client-[\d.]+\.tgz/, tarball).replace('gqk_…', t.adminKey);

  let tarball = '';

  it('packs the client, installs it in a new project, makes typed calls, and tsc rejects a wrong field or variable', async () => {
    // 1. in this repository
    expect(commands.get('in this repository')).toEqual(['npm install', 'npm pack -w client']);
    const packed = await ok(`npm pack -w client --pack-destination ${JSON.stringify(temp)}`, ROOT);
    const name = packed.trim().split('\n').at(-1)!;
    expect(text).toContain(`\`${name}\``);
    tarball = join(temp, name);
    const listing = (await ok(`tar -tzf ${JSON.stringify(tarball)}`, temp)).split('\n');
    for (const file of [
      'package/package.json',
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/dist/generated/graphql.d.ts',
      'package/schema.graphql',
      'package/operations/me.graphql',
      'package/README.md',
    ]) {
      expect(listing).toContain(file);
    }
    expect(listing.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]); // built, not sources
    // the shipped schema is the repository's
    await ok(`tar -xzf ${JSON.stringify(tarball)} package/schema.graphql`, temp);
    expect(readFileSync(join(temp, 'package/schema.graphql'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'schema.graphql'), 'utf8'),
    );

    // 2. in your project
    const install = commands.get('in your project')!;
    expect(install[0]).toBe('npm init -y');
    for (const line of install) await ok(fill(line, tarball), project);
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
    expect(pkg.type ?? 'commonjs').toBe('commonjs'); // the README's point about top-level await
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['@graphql-resolver-cache/client', 'graphql']);

    // 3-4. tsconfig.json and src/main.ts, 5. compile and run
    write('tsconfig.json');
    write('src/main.ts');
    const run = commands.get('run')!;
    expect(run).toEqual(['npx tsc', 'API_KEY=gqk_… node dist/main.js']);
    await ok(run[0]!, project);
    const out = await ok(fill(run[1]!, tarball), project, { API_URL: t.url });
    const printed = out.trim().split('\n');
    expect(printed).toEqual(['me: admin@example.com (ADMIN), cache MISS', 'again: cache HIT', 'users: 1']);
    for (const line of printed) expect(text).toContain(`\`${line}\``);

    // tsc catches what the README says it catches
    writeFileSync(
      join(project, 'src/wrong.ts'),
      [
        "import { createClient, DeleteUserDocument, MeDocument, UserDocument } from '@graphql-resolver-cache/client';",
        '',
        "const api = createClient({ url: 'http://localhost:4000/graphql' });",
        'export async function wrong(): Promise<void> {',
        '  const { data } = await api.request(MeDocument);',
        '  console.log(data.me.password);',
        '  await api.request(UserDocument);',
        "  await api.request(DeleteUserDocument, { id: '1', force: true });",
        '}',
        '',
      ].join('\n'),
    );
    const failed = await sh('npx tsc --noEmit', project);
    rmSync(join(project, 'src/wrong.ts'));
    expect(failed.code).not.toBe(0);
    const errors = failed.stdout.split('\n').filter((l) => l.startsWith('src/wrong.ts('));
    expect(errors).toEqual([
      expect.stringMatching(/^src\/wrong\.ts\(6,\d+\): error TS2339: Property 'password' does not exist on type /),
      expect.stringMatching(/^src\/wrong\.ts\(7,\d+\): error TS\d+: /),
      expect.stringMatching(/^src\/wrong\.ts\(8,\d+\): error TS\d+: .*'force'/),
    ]);
    expect(text).toContain("`error TS2339: Property 'password' does");
  }, 240_000);

  it('generates typed documents for operations of your own from the shipped schema.graphql, and runs them', async () => {
    expect(tarball).not.toBe(''); // the previous test made the project
    for (const line of commands.get('your operations')!) await ok(line, project);
    write('codegen.ts');
    write('src/my-keys.graphql');
    write('src/keys.ts');
    const steps = commands.get('generate and run')!;
    expect(steps).toEqual(['npx graphql-codegen --config codegen.ts', 'npx tsc', 'API_KEY=gqk_… node dist/keys.js']);
    for (const line of steps.slice(0, -1)) await ok(line, project);
    const out = await ok(fill(steps.at(-1)!, tarball), project, { API_URL: t.url });
    expect(out.trim().split('\n')).toEqual([`key: seed (SEED_ADMIN_API_KEY) (${t.adminKey.slice(0, 12)}…)`]);
  }, 240_000);
});
