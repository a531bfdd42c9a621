# syntax=docker/dockerfile:1
# Build stage: full install (compiles TypeScript, converts the embedding model to ONNX).
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
COPY tsconfig.json tsconfig.build.json ./
COPY . .
RUN npm ci && npm prune --omit=dev --ignore-scripts

# Runtime stage: production dependencies, compiled code, the model and the index only.
FROM node:20-bookworm-slim
# glibc: fewer malloc arenas and earlier mmap for large blocks return memory onnxruntime frees (about 20-50 MB less RSS).
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/models ./models
COPY --from=build --chown=node:node /app/index-data ./index-data
COPY --from=build --chown=node:node /app/public ./public
USER node
EXPOSE 8080
# --expose-gc lets the memory monitor collect before shedding; small semi-spaces and a 128 MB old space
# keep the V8 heap near what is in use (about 60 MB less RSS under load than V8's defaults on a large
# host). --optimize-for-size would save 2-4 MB more but slows every request and doubles /health's p99.
CMD ["node", "--expose-gc", "--max-semi-space-size=2", "--max-old-space-size=128", "dist/server.js"]
