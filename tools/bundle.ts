/**
 * Bundles the server (server.ts and what it imports, dependencies included) into dist/bundle/ with
 * esbuild (https://esbuild.github.io/api/#build). Loading a few files instead of some 800 modules
 * cuts the start-up's CPU by about a quarter; code loaded on demand (the LLM client) stays in chunks of its
 * own. Runs after tsc in `npm run build`:
 *   node dist/tools/bundle.js
 */
import { build } from 'esbuild'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from '../lib/paths.js'

/**
 * Left in node_modules and loaded from there: native addons, packages that read files of their own
 * next to their code at run time (pino's transport workers, swagger-ui's assets), and fastify and
 * undici. Bundled, those two raised the peak RSS of test/e2e/llm-flood.test.ts (50 stalled streams)
 * from 202-205 to 222-227 MB on Node 24, for a reason not pinned down; left out, the start costs
 * about 9 % more CPU than with everything bundled (and undici loads only with an LLM configured).
 */
export const EXTERNAL: readonly string[] = [
  'better-sqlite3', 'onnxruntime-node', 'sqlite-vec', 'tokenizers',
  'pino', 'pino-pretty', 'thread-stream', '@fastify/swagger', '@fastify/swagger-ui',
  'fastify', 'undici'
]

export const BUNDLE_DIR = join(repoRoot, 'dist', 'bundle')

export async function bundleServer (): Promise<void> {
  // Chunk names carry a hash: chunks of an earlier build would stay beside the new ones.
  rmSync(BUNDLE_DIR, { recursive: true, force: true })
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
