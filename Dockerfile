# Cairn as a container: build native modules in one stage, run as a non-root user in the next.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Without lifecycle scripts (`prepare` builds the sources, which are not here yet); then the one native module.
# `npm install`, not `npm ci`: the lock file lacks the prebuilt binaries cbor-extract (under modal) may
# take, since the registry it was made from has none, and `npm ci` refuses a lock file missing any.
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3
COPY scripts ./scripts
COPY src ./src
COPY adapters ./adapters
RUN node scripts/build.mjs

FROM node:20-bookworm-slim
ENV NODE_ENV=production CAIRN_DATA_DIR=/data
WORKDIR /app
# An init as PID 1 (tini): commands of the local back end leave orphans (a job left running, a
# shell's own helpers), which only PID 1 reaps; Node there would let them pile up as zombies.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY scripts ./scripts
# The compiled build only: bin/cairn.js runs dist/ (there are no sources here to be newer than it).
COPY --from=build /app/dist ./dist
COPY skills ./skills
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["tini", "--", "node", "/app/bin/cairn.js"]
CMD ["chat"]
