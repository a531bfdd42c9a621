/**
 * Bundles the server (server.ts and what it imports, dependencies included) into dist/bundle/ with
 * esbuild (https://esbuild.github.io/api/#build). Loading one file instead of some 800 modules is
 * about a sixth of the start-up's CPU; code loaded on demand (the LLM client) stays in chunks of its
 * own. Runs after tsc in `npm run build`:
 *   node dist/tools/bundle.js
 */
import { build } from 'esbuild'
import { join } from 'node:path'
import { repoRoot } from '../lib/paths.js'

/**
 * Left in node_modules and loaded from there: native addons, and packages that read files of their
 * own next to their code at run time (pino's transport workers, swagger-ui's assets).
 */
export const EXTERNAL: readonly string[] = [
  'better-sqlite3', 'onnxruntime-node', 'sqlite-vec', 'tokenizers',
  'pino', 'pino-pretty', 'thread-stream', '@fastify/swagger', '@fastify/swagger-ui'
]

export const BUNDLE_DIR = join(repoRoot, 'dist', 'bundle')

export async function bundleServer (): Promise<void> {
  await build({
    entryPoints: [join(repoRoot, 'server.ts')],
    outdir: BUNDLE_DIR,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: [...EXTERNAL],
    sourcemap: 'linked',
    // The CommonJS dependencies call require(); an ES module has none of its own.
    banner: { js: 'import { createRequire as __createRequire } from \'node:module\'; const require = __createRequire(import.meta.url);' },
    logLevel: 'warning'
  })
}

await bundleServer()
