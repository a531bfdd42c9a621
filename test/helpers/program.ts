import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { repoRoot } from '../../lib/paths.js'

const here = fileURLToPath(import.meta.url)
/** dist-test/ when this file runs compiled (`npm test`), else undefined (tsx, from source). */
const compiledRoot = here.endsWith('.js') ? dirname(dirname(dirname(here))) : undefined

/**
 * Node's arguments to run one of this checkout's TypeScript programs (`tools/smoke`: a path from the repository root,
 * without .ts) the way the tests themselves run: compiled under `npm test` (dist-test/), through tsx from source.
 * tsx costs about a second of CPU in each process it starts.
 */
export function programArgs (program: string): string[] {
  return compiledRoot === undefined ? ['--import=tsx', join(repoRoot, `${program}.ts`)] : [join(compiledRoot, `${program}.js`)]
}
