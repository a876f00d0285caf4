# syntax=docker/dockerfile:1
# Build stage: full install (dev dependencies compile the TypeScript), then drop dev dependencies.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY adapters ./adapters
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: compiled output and production dependencies only, as an unprivileged user.
FROM node:24-slim AS runtime
# tini is PID 1: it forwards SIGTERM to the bot (so running answers drain) and reaps the MCP stdio
# servers the bot starts as child processes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node bin ./bin
COPY --chown=node:node adapters/slack/manifest.yml adapters/slack/manifest.socket-mode.json ./adapters/slack/
USER node
EXPOSE 3000 9464
# Ready, not merely alive: /readyz answers 200 once Redis and the platform connections are up.
# HEALTH_PORT=0 turns the health server off, and with it this check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD ["node", "-e", "const port = process.env.HEALTH_PORT ?? '9464'; if (port === '0') process.exit(0); const host = !process.env.HEALTH_HOST || ['0.0.0.0', '::'].includes(process.env.HEALTH_HOST) ? '127.0.0.1' : process.env.HEALTH_HOST; fetch(`http://${host.includes(':') ? `[${host}]` : host}:${port}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/ofox-bot.js"]
CMD ["start"]
