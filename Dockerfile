# syntax=docker/dockerfile:1
# Build stage: full install (compiles TypeScript, converts the embedding model to ONNX).
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
# onnxruntime-node's postinstall only downloads CUDA providers (package.json allowScripts denies it too).
ENV ONNXRUNTIME_NODE_INSTALL=skip
# Dependencies first, from the manifests alone: a source change reuses this layer instead of reinstalling.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3 esbuild
COPY . .
RUN npm run build && npm run model:convert && npm prune --omit=dev --ignore-scripts

# Runtime stage: production dependencies, compiled code, the model and the index only.
FROM node:24-bookworm-slim
# glibc: fewer malloc arenas and earlier mmap for large blocks return memory onnxruntime frees (about 20-50 MB less RSS).
# ORT_DISABLE_TELEMETRY: onnxruntime writes nothing under ~/.cache; the container can run with a read-only root filesystem.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 ORT_DISABLE_TELEMETRY=1
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/models ./models
COPY --from=build --chown=node:node /app/index-data ./index-data
COPY --from=build --chown=node:node /app/public ./public
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/bin ./bin
# /app itself belongs to root: the compile cache needs a folder the server's user may write in, at build time only.
RUN install -d -o node -g node .cache
USER node
# Bytecode for every module the server loads at start, written now by starting it once, because nothing is
# written at run time. Used only if the start-up snapshot (dist/snapshot, built with the same node:24 image by
# `npm run build`) does not match this stage's Node and bin/start.sh falls back to dist/server.js.
RUN node dist/tools/warm-compile-cache.js
EXPOSE 8080
# bin/start.sh execs node (flags explained in tools/server-command.ts: --no-maglev and small semi-spaces keep
# Node 24's RSS down) on the start-up snapshot, or on dist/server.js.
CMD ["bin/start.sh"]
