/**
 * How production starts the server (package.json "start", the Dockerfile's CMD and ENV), for the
 * benchmarks and tests that spawn it: they measure what runs, not a variant.
 */
/** The server as tools/bundle.ts bundles it: one file to load instead of dist/server.js and its hundreds of modules. */
export const SERVER_ENTRY = 'dist/bundle/server.js'

export const SERVER_NODE_ARGS: readonly string[] = ['--expose-gc', '--max-semi-space-size=2', '--max-old-space-size=128', SERVER_ENTRY]

export const SERVER_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072'
}
