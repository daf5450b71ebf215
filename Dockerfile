# longhaul for a team: streamable HTTP on 0.0.0.0:8787, which demands credentials
# (LONGHAUL_TOKENS_FILE or LONGHAUL_OAUTH_ISSUER; without them it exits 2 saying so).
# For stdio, run the image with `serve`. Not built in CI (no Docker engine there).
#   docker run --rm -v longhaul:/data IMAGE token create --tenant acme --actor alice --tokens-file /data/tokens.json
#   docker run -d -p 8787:8787 -v longhaul:/data -e LONGHAUL_TOKENS_FILE=/data/tokens.json IMAGE
# Change the port with LONGHAUL_HTTP_PORT (the HEALTHCHECK reads it), not --port.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 builds its native addon when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# The UI bundle (the MCP App and the web page) is built by scripts/build-ui.ts.
COPY scripts ./scripts
COPY fixtures ./fixtures
# `npm ci` builds dist/ (the prepare script); the dev dependencies go afterwards.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production LONGHAUL_DATA_DIR=/data LONGHAUL_HTTP_PORT=8787
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/fixtures ./fixtures
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8787
# The slim image has no curl: Node's fetch asks /healthz. Host 127.0.0.1 passes the Host
# check: a wildcard bind (0.0.0.0) serves the loopback names besides the public URL's host.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.LONGHAUL_HTTP_PORT || 8787) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve", "--http", "--host", "0.0.0.0"]
