/**
 * How production starts the server (package.json "start", the Dockerfile's CMD and ENV), for the
 * benchmarks and tests that spawn it: they measure what runs, not a variant.
 */
import { delimiter, dirname, join } from 'node:path'
import { repoRoot } from '../lib/paths.js'

/**
 * The launcher: node from the start-up snapshot (dist/snapshot, tools/build-snapshot.ts) when this Node
 * built it, else node on the compiled server. A bundle (esbuild) without the snapshot started with about
 * 30 % less CPU but raised the peak RSS of test/e2e/llm-flood.test.ts by 15-30 MB (see the issue-18 report).
 */
export const SERVER_LAUNCHER = 'bin/start.sh'

/** The compiled server, started when there is no snapshot for this Node. */
export const SERVER_ENTRY = 'dist/server.js'

/**
 * --expose-gc lets the memory monitor collect before shedding. --no-maglev: Node 22+ turned on V8's mid-tier
 * compiler, which Node 20 ran without; its compile zones and code cost about 7 MB of steady RSS on Node 24 and
 * buy nothing measurable here (Ignition, Sparkplug and TurboFan remain). Semi-spaces of 1 MB and a 128 MB old
 * space keep the V8 heap near what is in use; --optimize-for-size makes V8 grow the heap in smaller steps
 * (about 2 MB less steady RSS on Node 24). Measured with npm run bench:ci (the issue-14/16/18 report).
 */
export const SERVER_NODE_ARGS: readonly string[] = [
  '--expose-gc', '--no-maglev', '--max-semi-space-size=1', '--max-old-space-size=128', '--optimize-for-size', SERVER_ENTRY
]

/**
 * glibc: two malloc arenas, and blocks from 128 KB up in their own mappings, returned when freed. From 32 KB
 * up the steady RSS on Node 24 was about 3 MB lower, but the server spent about 10 % more CPU (twice the
 * system time: a mapping per block that requests allocate and free).
 */
export const SERVER_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072'
}

/** The launcher and the PATH under which its `node` is the one running this process. */
export function launcher (env: NodeJS.ProcessEnv = process.env): { command: string, env: Record<string, string> } {
  return {
    command: join(repoRoot, SERVER_LAUNCHER),
    env: { PATH: `${dirname(process.execPath)}${delimiter}${env.PATH ?? ''}` }
  }
}
