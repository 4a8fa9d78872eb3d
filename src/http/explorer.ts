import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Response, Router } from 'express';

/**
 * A local explorer that loads nothing from a CDN (Apollo Sandbox, at `GET /graphql`, does):
 *
 * - `GET /graphiql`: GraphiQL, from the installed npm packages as they are published: graphiql 4's
 *   browser bundle (`graphiql.min.js`, UMD, the last major that ships one) and its CSS (fonts inlined),
 *   React 18 and ReactDOM 18 (their UMD builds; React 19 has none). In development the headers
 *   editor is pre-filled with `Authorization: Bearer <key>` when the server knows a key (the first
 *   admin's at first start, or SEED_ADMIN_API_KEY); otherwise with a placeholder to replace.
 * - `GET /`: a small page linking to both explorers and the operational endpoints.
 *
 * Mounted by the app outside production (with Sandbox: SANDBOX_ENABLED).
 */
export interface ExplorerOptions {
  /** NODE_ENV: the key is pre-filled in `development` only. */
  nodeEnv?: string;
  /** The key the server knows (the first admin's, shown once at first start, or SEED_ADMIN_API_KEY). */
  apiKey?: string;
  /** Path of the GraphQL endpoint (default `/graphql`). */
  endpoint?: string;
}

/** The placeholder pre-filled when the server knows no key to offer. */
export const API_KEY_PLACEHOLDER = '<your API key>';

/** Files served under /graphiql/assets/, each from its package in node_modules. */
const ASSETS: Record<string, { pkg: string; path: string; type: string }> = {
  'react.production.min.js': { pkg: 'react', path: 'umd/react.production.min.js', type: 'text/javascript' },
  'react-dom.production.min.js': { pkg: 'react-dom', path: 'umd/react-dom.production.min.js', type: 'text/javascript' },
  'graphiql.min.js': { pkg: 'graphiql', path: 'graphiql.min.js', type: 'text/javascript' },
  'graphiql.min.css': { pkg: 'graphiql', path: 'graphiql.min.css', type: 'text/css' },
};

const DEFAULT_QUERY = `# Run with Ctrl-Enter, twice: the response's extensions.cache says MISS, then HIT.
query Me {
  me {
    id
    email
    role
  }
}
`;

/** JSON that is safe inside an HTML <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

interface Asset {
  file: string;
  type: string;
  pkg: string;
  version: string;
}

/** Where each asset is installed; fails at start-up, not on the first request, when one is missing. */
function resolveAssets(): Map<string, Asset> {
  const resolved = new Map<string, Asset>();
  for (const [name, { pkg, path, type }] of Object.entries(ASSETS)) {
    let manifest: string;
    try {
      manifest = require.resolve(`${pkg}/package.json`);
    } catch {
      throw new Error(`explorer: the package "${pkg}" is not installed (run npm install)`);
    }
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    const file = join(dirname(manifest), path);
    if (!existsSync(file)) throw new Error(`explorer: ${pkg}@${version} has no ${path} (a browser bundle is needed)`);
    resolved.set(name, { file, type, pkg, version });
  }
  return resolved;
}

function page(res: Response, html: string): void {
  res.set('Cache-Control', 'no-store').type('html').send(html);
}

function graphiqlPage(endpoint: string, headers: string, versions: string): string {
  const config = scriptJson({ endpoint, headers, query: DEFAULT_QUERY });
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/assets/graphiql.min.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <!-- ${versions}, served from node_modules: nothing loads from a CDN -->
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="/graphiql/assets/react.production.min.js"></script>
  <script src="/graphiql/assets/react-dom.production.min.js"></script>
  <script src="/graphiql/assets/graphiql.min.js"></script>
  <script>
    const config = ${config};
    const fetcher = GraphiQL.createFetcher({ url: new URL(config.endpoint, location.href).href });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultQuery: config.query,
        defaultHeaders: config.headers,
        defaultEditorToolsVisibility: 'headers',
      }),
    );
  </script>
</body>
</html>
`;
}

function landingPage(endpoint: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>GraphQL resolver cache</title>
  <style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; }</style>
</head>
<body>
  <h1>GraphQL resolver cache</h1>
  <p>The API is at <code>${endpoint}</code>. Explore it with:</p>
  <ul>
    <li><a href="${endpoint}">Apollo Sandbox</a> (loads Apollo's Sandbox from its CDN)</li>
    <li><a href="/graphiql">GraphiQL</a> (served by this server: works offline)</li>
  </ul>
  <p>Either needs your API key as a header: <code>{"Authorization": "Bearer &lt;your API key&gt;"}</code>.</p>
  <p>Operations: <a href="/health">/health</a>, <a href="/ready">/ready</a>, <a href="/metrics">/metrics</a>.</p>
</body>
</html>
`;
}

/** The routes of the explorer: `/`, `/graphiql` and `/graphiql/assets/*`. */
export function createExplorer(options: ExplorerOptions = {}): Router {
  const endpoint = options.endpoint ?? '/graphql';
  const assets = resolveAssets();
  const versions = [...new Set([...assets.values()].map((a) => `${a.pkg} ${a.version}`))].join(', ');
  const key = options.nodeEnv === 'development' && options.apiKey ? options.apiKey : API_KEY_PLACEHOLDER;
  const headers = `{"Authorization": ${JSON.stringify(`Bearer ${key}`)}}`;
  const router = Router();
  router.get('/', (_req, res) => page(res, landingPage(endpoint)));
  router.get('/graphiql', (_req, res) => page(res, graphiqlPage(endpoint, headers, versions)));
  router.get('/graphiql/assets/:name', (req, res, next) => {
    const asset = assets.get(req.params.name);
    if (!asset) return next();
    res.type(asset.type).sendFile(asset.file, { maxAge: '1d' });
  });
  return router;
}
