/**
 * How production starts the server (package.json "start", the Dockerfile's CMD and ENV), for the
 * benchmarks and tests that spawn it: they measure what runs, not a variant.
 */
/**
 * The compiled server. A bundle of it (esbuild) started with about 30 % less CPU but raised the peak
 * RSS of test/e2e/llm-flood.test.ts by 15-30 MB on Node 22 and 24, over its budget (see the issue-18 report).
 */
export const SERVER_ENTRY = 'dist/server.js'

export const SERVER_NODE_ARGS: readonly string[] = ['--expose-gc', '--max-semi-space-size=2', '--max-old-space-size=128', SERVER_ENTRY]

export const SERVER_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072'
}
