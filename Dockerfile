# syntax=docker/dockerfile:1
# Multi-stage: build with every dependency, run with production ones only, as a non-root user.
# Only what the server runs goes in: src/ (tsconfig.build.json), the cache CLI included (node dist/src/cli.js).
# Tool scripts (scripts/, bench/, codegen.ts) run from source in a checkout and are not part of the image.
# test/repo/docker-image.test.ts replays this file's COPY and RUN lines without a Docker engine.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The lockfile lists the client/ workspace (the typed client package): npm needs its manifest to
# install from the lockfile as it is. The server does not use the client.
COPY client/package.json ./client/
# npm install (not npm ci): it respects the lockfile; see README, Troubleshooting.
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=4000 DATABASE_URL=sqlite:/data/app.db
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]
