/**
 * The Docker image, built and started without a Docker engine (CI has none).
 *
 * The Dockerfile is parsed and replayed as honestly as a plain machine allows: each stage gets an
 * empty directory standing for its file system; `WORKDIR`, `ENV` and `COPY` (from the build context,
 * filtered by .dockerignore, or `--from=` an earlier stage) are applied as Docker applies them, and
 * every `RUN` line runs as it is written, in order, in the stage's working directory. Then the
 * runtime stage's `CMD` is started with its `ENV` (only the port, the interface and the SQLite file
 * moved into the temporary directory), `/health` must answer 200, and the `HEALTHCHECK` command itself
 * must exit 0. An instruction the replay does not know fails the test rather than being skipped.
 *
 * What cannot be reproduced here: the base image (this machine's Node 20 and npm stand in for
 * node:20-bookworm-slim's), and ownership: the runtime stage's `chown` is a no-op (the test does not
 * run as the image's `node` user). npm may reuse its local cache (npm_config_prefer_offline), which
 * changes nothing in what gets installed: the lockfile decides.
 *
 * docker-compose.yml is checked against the same configuration: its services, healthchecks, and that
 * its variables are the configuration's and agree with each other (credentials, hosts, ports).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config';
import { freePort } from '../helpers/free-port';

const ROOT = join(__dirname, '..', '..');

// ---------------------------------------------------------------------------------------------
// Dockerfile and .dockerignore parsing
// ---------------------------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** Stages of a Dockerfile: comments dropped, `\` continuations joined, keywords upper-cased. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, ' ');
      i++;
      if (/^\s*#/.test(lines[i]!)) continue; // comment lines inside a continuation are dropped
      line += lines[i]!.trim();
    }
    const match = /^\s*(\w+)\s+(.*?)\s*$/.exec(line);
    if (!match) throw new Error(`Dockerfile line ${start + 1}: cannot parse ${JSON.stringify(line)}`);
    const keyword = match[1]!.toUpperCase();
    const args = match[2]!;
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`Dockerfile line ${start + 1}: cannot parse FROM ${args}`);
      stages.push({ from: from[1]!, name: from[2] ?? String(stages.length), instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile line ${start + 1}: ${keyword} before any FROM`);
    stage.instructions.push({ keyword, args, line: start + 1 });
  }
  return stages;
}

/** Exec form (`["a", "b"]`) or shell form (`a b`, run by `/bin/sh -c`). */
function commandOf(args: string): string[] {
  return args.startsWith('[') ? (JSON.parse(args) as string[]) : ['/bin/sh', '-c', args];
}

/** `ENV a=1 b=2` (and the legacy `ENV a 1`), values optionally double-quoted. */
function parseEnv(args: string): Record<string, string> {
  if (!args.includes('=')) {
    const [key, ...rest] = args.split(/\s+/);
    return { [key!]: rest.join(' ') };
  }
  const env: Record<string, string> = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    env[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
  }
  return env;
}

/** `COPY [--from=x] [--chown=…] src… dest` (shell or JSON form). */
function parseCopy(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
  let from: string | undefined;
  const rest: string[] = [];
  for (const word of words) {
    if (word.startsWith('--from=')) from = word.slice('--from='.length);
    else if (word.startsWith('--chown=') || word.startsWith('--chmod=') || word === '--link') continue;
    else if (word.startsWith('--')) throw new Error(`COPY flag not supported by the replay: ${word}`);
    else rest.push(word);
  }
  const dest = rest.pop();
  if (!dest || rest.length === 0) throw new Error(`COPY needs a source and a destination: ${args}`);
  return { from, sources: rest, dest };
}

/** A .dockerignore matcher (Docker's rules: a pattern excludes a path or any folder above it; `!` re-includes; last match wins). */
function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negated = l.startsWith('!');
      const pattern = posix.normalize((negated ? l.slice(1) : l).trim()).replace(/^\/+|\/+$/g, '');
      const regex = pattern
        .split(/(\*\*\/|\*\*|\*|\?)/)
        .map((part) =>
          part === '**/'
            ? '(?:.*/)?'
            : part === '**'
              ? '.*'
              : part === '*'
                ? '[^/]*'
                : part === '?'
                  ? '[^/]'
                  : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
        )
        .join('');
      return { negated, regex: new RegExp(`^${regex}$`) };
    });
  return (path) => {
    const parts = path.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (candidates.some((c) => rule.regex.test(c))) excluded = !rule.negated;
    return excluded;
  };
}

// ---------------------------------------------------------------------------------------------
// The replay
// ---------------------------------------------------------------------------------------------

interface StageState {
  root: string;
  workdir: string; // a container path
  env: Record<string, string>;
  user?: string;
  volumes: string[];
  exposed: string[];
  healthcheck?: string[];
  cmd?: string[];
}

function hostPath(state: StageState, containerPath: string): string {
  const absolute = posix.isAbsolute(containerPath) ? containerPath : posix.join(state.workdir, containerPath);
  return join(state.root, ...posix.normalize(absolute).split('/').filter(Boolean));
}

/** A minimal environment (jest's own NODE_ENV=test must not leak into npm or the server). */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' };
  for (const name of ['npm_config_cache', 'npm_config_userconfig', 'TMPDIR'])
    if (process.env[name]) env[name] = process.env[name]!;
  return env;
}

/** Runs a command (asynchronously: jest's timeout stays in force), failing with the end of its output. */
async function run(command: string[], cwd: string, env: Record<string, string>, what: string): Promise<void> {
  const started = Date.now();
  const child = spawn(command[0]!, command.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-6000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, s) => resolve([c, s]));
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (code !== 0)
    throw new Error(`${what} failed (exit ${code}${signal ? `, ${signal}` : ''}, ${seconds}s):\n${output}`);
  replayLog.push(`${what} (${seconds}s)`);
}

const replayLog: string[] = [];

async function replayStage(
  stage: Stage,
  root: string,
  context: string,
  stages: Map<string, StageState>,
): Promise<StageState> {
  const ignored = dockerignore(
    existsSync(join(context, '.dockerignore')) ? readFileSync(join(context, '.dockerignore'), 'utf8') : '',
  );
  const state: StageState = { root, workdir: '/', env: {}, volumes: [], exposed: [] };
  mkdirSync(root, { recursive: true });
  // VOLUME paths are known for the whole stage (a RUN line may prepare one before it is declared).
  for (const i of stage.instructions.filter((i) => i.keyword === 'VOLUME')) {
    state.volumes.push(...(i.args.startsWith('[') ? (JSON.parse(i.args) as string[]) : i.args.split(/\s+/)));
  }
  for (const instruction of stage.instructions) {
    const where = `${stage.name}: line ${instruction.line}: ${instruction.keyword} ${instruction.args}`;
    switch (instruction.keyword) {
      case 'WORKDIR':
        state.workdir = posix.resolve(state.workdir, instruction.args);
        mkdirSync(hostPath(state, '.'), { recursive: true });
        break;
      case 'ENV':
        Object.assign(state.env, parseEnv(instruction.args));
        break;
      case 'COPY': {
        const { from, sources, dest } = parseCopy(instruction.args);
        const intoFolder = dest.endsWith('/') || sources.length > 1;
        for (const source of sources) {
          let sourcePath: string;
          let filter: ((src: string) => boolean) | undefined;
          if (from !== undefined) {
            const origin = stages.get(from);
            if (!origin) throw new Error(`${where}: no stage named ${from} before this one`);
            sourcePath = hostPath(origin, source);
          } else {
            if (posix.isAbsolute(source) || source.split('/').includes('..'))
              throw new Error(`${where}: a context source must be relative`);
            if (/[*?[]/.test(source)) throw new Error(`${where}: wildcards are not supported by the replay`);
            if (ignored(posix.normalize(source))) throw new Error(`${where}: ${source} is excluded by .dockerignore`);
            sourcePath = join(context, source);
            filter = (src) => {
              const rel = relative(context, src).split(sep).join('/');
              return rel === '' || !ignored(rel);
            };
          }
          if (!existsSync(sourcePath)) throw new Error(`${where}: ${source} does not exist (Docker: "not found")`);
          const isDir = statSync(sourcePath).isDirectory();
          const target = hostPath(state, intoFolder && !isDir ? posix.join(dest, posix.basename(source)) : dest);
          mkdirSync(isDir ? target : dirname(target), { recursive: true });
          // a folder's contents go into dest (Docker's semantics); symbolic links are copied as links
          const started = Date.now();
          if (filter) cpSync(sourcePath, target, { recursive: true, verbatimSymlinks: true, filter });
          else if (isDir)
            await run(['cp', '-a', `${sourcePath}/.`, target], hostPath(state, '.'), baseEnv(), `${where}: cp -a`);
          else await run(['cp', '-a', sourcePath, target], hostPath(state, '.'), baseEnv(), `${where}: cp -a`);
          if (filter) replayLog.push(`${where} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
        }
        break;
      }
      case 'RUN': {
        const env = {
          ...baseEnv(),
          ...state.env,
          npm_config_prefer_offline: 'true',
          npm_config_update_notifier: 'false',
        };
        let command = commandOf(instruction.args);
        if (command[0] === '/bin/sh') {
          let script = command[2]!;
          // the stage's volumes live in the temporary directory; ownership cannot be reproduced here
          for (const volume of state.volumes) script = script.split(volume).join(hostPath(state, volume));
          command = ['/bin/sh', '-c', `chown() { :; }; ${script}`];
        }
        await run(command, hostPath(state, '.'), env, where);
        break;
      }
      case 'USER':
        state.user = instruction.args;
        break;
      case 'VOLUME':
        break; // collected above
      case 'EXPOSE':
        state.exposed.push(...instruction.args.split(/\s+/));
        break;
      case 'HEALTHCHECK': {
        const cmd = /\bCMD\s+(.*)$/.exec(instruction.args);
        if (!cmd) throw new Error(`${where}: HEALTHCHECK without CMD`);
        state.healthcheck = commandOf(cmd[1]!);
        break;
      }
      case 'CMD':
        state.cmd = commandOf(instruction.args);
        break;
      default:
        throw new Error(`${where}: instruction not supported by the replay; extend test/repo/docker-image.test.ts`);
    }
  }
  stages.set(stage.name, state);
  return state;
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);

describe('Dockerfile', () => {
  it('has a build stage and a runtime stage, and copies only what the production build compiles', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    const build = stages[0]!;
    const copied = build.instructions.filter((i) => i.keyword === 'COPY').flatMap((i) => parseCopy(i.args).sources);
    // what tsconfig.build.json includes is copied, and nothing the server does not run
    const buildConfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    for (const pattern of buildConfig.include) expect(copied).toContain(pattern.split('/')[0]);
    for (const tool of ['scripts', 'bench', 'test', 'codegen.ts', 'client']) expect(copied).not.toContain(tool);
  });

  // at describe level, so that afterAll cleans up even when the test times out
  let temp = '';
  let child: ReturnType<typeof spawn> | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    // two node_modules trees (about 0.5 GB): removed in the background, the suite does not wait for it
    if (temp) spawn('rm', ['-rf', temp], { detached: true, stdio: 'ignore' }).unref();
  });

  it('builds (every COPY and RUN of the build stage, replayed), then the runtime stage starts with production dependencies only and answers /health', async () => {
    temp = mkdtempSync(join(tmpdir(), 'docker-replay-'));
    const states = new Map<string, StageState>();
    let output = '';
    try {
      const build = await replayStage(stages[0]!, join(temp, 'build'), ROOT, states);
      const built = hostPath(build, '.');
      expect(existsSync(join(built, 'dist/src/main.js'))).toBe(true);
      expect(existsSync(join(built, 'dist/scripts'))).toBe(false);

      const runtime = await replayStage(stages[1]!, join(temp, 'runtime'), ROOT, states);
      const app = hostPath(runtime, '.');
      expect(runtime.user).toBe('node');
      // production dependencies only: the toolchain was pruned
      for (const dev of ['jest', '@graphql-codegen/cli', 'playwright-core', '@biomejs/biome'])
        expect(existsSync(join(app, 'node_modules', dev))).toBe(false);
      for (const prod of ['@apollo/server', 'graphql', 'type-graphql', '@mikro-orm/libsql'])
        expect(existsSync(join(app, 'node_modules', prod, 'package.json'))).toBe(true);
      expect(readdirSync(app).sort()).toEqual(['dist', 'node_modules', 'package.json']);

      const volume = hostPath(runtime, runtime.volumes[0]!);
      expect(existsSync(volume)).toBe(true); // made by the stage's RUN line
      const port = await freePort();
      const env = {
        ...baseEnv(),
        ...runtime.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: `sqlite:${join(volume, 'app.db')}`,
      };
      expect(runtime.env.NODE_ENV).toBe('production');
      expect(runtime.exposed).toEqual(['4000']);
      expect(runtime.cmd).toEqual(['node', 'dist/src/main.js']);
      child = spawn(runtime.cmd![0]!, runtime.cmd!.slice(1), { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d) => (output += d));
      child.stderr!.on('data', (d) => (output += d));

      const base = `http://127.0.0.1:${port}`;
      const started = Date.now();
      let status = 0;
      while (status !== 200) {
        if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output}`);
        if (Date.now() - started > 60_000) throw new Error(`/health did not answer 200 within 60 s:\n${output}`);
        status = await fetch(`${base}/health`).then(
          (r) => r.status,
          () => 0,
        );
        if (status !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toBe(200);

      // the image's own HEALTHCHECK command, as Docker would run it in the container
      const health = spawnSync(runtime.healthcheck![0]!, runtime.healthcheck!.slice(1), {
        cwd: app,
        env,
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect({ status: health.status, stderr: health.stderr }).toEqual({ status: 0, stderr: '' });

      const ready = await fetch(`${base}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', database: 'sqlite' });
      const graphql = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(await graphql.json()).toEqual({ data: { __typename: 'Query' } });

      // the operator's CLI is in the image too, and runs on production dependencies only
      const cli = (args: string[]) =>
        spawnSync('node', ['dist/src/cli.js', ...args], { cwd: app, env, encoding: 'utf8', timeout: 20_000 });
      expect(existsSync(join(app, 'dist/src/cli.js'))).toBe(true);
      const help = cli(['--help']);
      expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: '' });
      expect(help.stdout).toContain('node dist/src/cli.js <command>');
      const stats = cli(['stats', '--json']); // HOST and PORT of the image's environment
      expect({ status: stats.status, stderr: stats.stderr }).toEqual({ status: 0, stderr: '' });
      expect(JSON.parse(stats.stdout)).toMatchObject({ backend: 'memory', url: `${base}/metrics` });

      const server = child;
      const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
      child = undefined;
    } catch (error) {
      throw new Error(
        `${error instanceof Error ? error.message : error}\n\nreplayed so far:\n  ${replayLog.join('\n  ')}`,
      );
    }
  }, 240_000);
});

describe('docker-compose.yml', () => {
  const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<
      string,
      {
        profiles?: string[];
        build?: string;
        image?: string;
        environment?: Record<string, string>;
        healthcheck?: { test: string[]; interval: string; timeout: string; retries: number };
        depends_on?: Record<string, { condition: string }>;
        ports?: string[];
      }
    >;
  };
  const { app, postgres, redis } = compose.services;
  /** `${NAME:-default}` resolved to its default, as Compose does with an unset variable. */
  const resolved = Object.fromEntries(
    Object.entries(app!.environment ?? {}).map(([k, v]) => [k, String(v).replace(/\$\{[^}:]*:-([^}]*)\}/g, '$1')]),
  );

  it('has the app (built from this Dockerfile), PostgreSQL and Redis, each with a healthcheck the app waits for', () => {
    // The default services (the cluster profile's are checked in deployment-files.test.ts).
    const defaults = Object.entries(compose.services).filter(([, service]) => !service.profiles);
    expect(defaults.map(([name]) => name).sort()).toEqual(['app', 'postgres', 'redis']);
    expect(app!.build).toBe('.');
    for (const [name, service] of defaults) {
      expect({ name, test: service.healthcheck?.test?.[0] }).toEqual({
        name,
        test: expect.stringMatching(/^CMD(-SHELL)?$/),
      });
      expect(service.healthcheck).toMatchObject({
        interval: expect.stringMatching(/^\d+s$/),
        timeout: expect.stringMatching(/^\d+s$/),
        retries: expect.any(Number),
      });
    }
    for (const [dependency, { condition }] of Object.entries(app!.depends_on ?? {})) {
      expect(condition).toBe('service_healthy');
      expect(compose.services[dependency]?.healthcheck).toBeDefined();
    }
    expect(Object.keys(app!.depends_on ?? {}).sort()).toEqual(['postgres', 'redis']);
  });

  it("sets only the configuration's variables, with values it accepts", () => {
    for (const name of Object.keys(app!.environment ?? {})) expect(CONFIG_VARIABLES).toContain(name);
    const config = loadConfig(resolved);
    expect(config.nodeEnv).toBe('production');
    expect(config.database.driver).toBe('postgresql');
    expect(config.cache.enabled).toBe(true);
    expect(config.cache.redis?.url).toBe('redis://redis:6379/0');
  });

  it('agrees with itself: database credentials, service host names, the published port and the healthcheck port', () => {
    const db = new URL(resolved.DATABASE_URL!);
    expect(db.hostname).toBe('postgres');
    expect(db.port).toBe('5432');
    expect({ user: db.username, password: db.password, db: db.pathname.slice(1) }).toEqual({
      user: postgres!.environment!.POSTGRES_USER,
      password: postgres!.environment!.POSTGRES_PASSWORD,
      db: postgres!.environment!.POSTGRES_DB,
    });
    expect(postgres!.healthcheck!.test.join(' ')).toContain(
      `-U ${postgres!.environment!.POSTGRES_USER} -d ${postgres!.environment!.POSTGRES_DB}`,
    );
    expect(new URL(resolved.REDIS_URL!).hostname).toBe('redis');
    expect(redis!.healthcheck!.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(app!.ports).toEqual([`${resolved.PORT}:${resolved.PORT}`]);
    expect(app!.healthcheck!.test.join(' ')).toContain(`http://127.0.0.1:${resolved.PORT}/health`);
  });
});
