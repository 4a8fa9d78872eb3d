/**
 * The ceiling: a bare node:http server that answers each benchmark request with the bytes the real
 * server sent for it from its cache (captured by bench/run.ts into REPLAY_FILE). No GraphQL, no
 * authentication, no cache lookup: what is left is HTTP and the loopback, the best any server could do.
 *
 * For the read/update mix it keeps the mix's users in a Map (the smallest correct "cache"), so that
 * the stale-read check has something real to check. Configuration: PORT, REPLAY_FILE.
 */
const { createServer } = require('node:http');
const { readFileSync } = require('node:fs');

/** Requests are told apart by what the load generator varies: key, cache header, body. */
const replayKey = (headers, body) => `${headers.authorization ?? ''}\n${headers['cache-control'] ?? ''}\n${body}`;

function loadReplay(file) {
  const { entries, mixUsers } = JSON.parse(readFileSync(file, 'utf8'));
  const responses = new Map(entries.map((e) => [replayKey(e.headers, e.body), Buffer.from(e.response)]));
  return { responses, users: new Map(mixUsers.map((u) => [u.id, u])) };
}

/** The mix's two operations, told apart by operationName (the mix sends its ids and names as variables). */
function answerMix(users, { operationName, variables }) {
  const user = users.get(variables?.id);
  if (operationName === 'MixRead') return { data: { user: user ?? null } };
  if (operationName === 'MixWrite' && user) {
    user.fullName = variables.fullName;
    return { data: { updateUser: { id: user.id, fullName: user.fullName } } };
  }
  return undefined;
}

function respond(res, status, bytes) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes.length });
  res.end(bytes);
}

function main() {
  const port = Number(process.env.PORT);
  const { responses, users } = loadReplay(process.env.REPLAY_FILE);
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const bytes = responses.get(replayKey(req.headers, body));
      if (bytes) return respond(res, 200, bytes);
      let mix;
      try {
        mix = answerMix(users, JSON.parse(body));
      } catch {
        // not JSON: falls through to 404
      }
      if (mix) return respond(res, 200, Buffer.from(JSON.stringify(mix)));
      respond(res, 404, Buffer.from('{"errors":[{"message":"not a recorded request"}]}'));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1', () => console.log(`ceiling ready at http://127.0.0.1:${port}/graphql`));
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

main();
