/**
 * Deletes compiled files in dist-test/ whose TypeScript source is gone (`npm run test:build` compiles incrementally, and
 * tsc never removes an output): a test file deleted or renamed must not keep running from its old JavaScript.
 * Usage: node dist-test/tools/prune-test-build.js   (run from the build it prunes, so no TypeScript loader is needed)
 */
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { repoRoot } from '../lib/paths.js'

const OUTPUT = /\.js(\.map)?$/

/** Every output under `outDir` without a source at the same place under `root`, as paths relative to outDir. */
export function staleOutputs (outDir: string, root: string): string[] {
  return readdirSync(outDir, { recursive: true, encoding: 'utf8' })
    .filter((file) => OUTPUT.test(file) && !existsSync(join(root, file.replace(OUTPUT, '.ts'))))
}

function main (): void {
  const outDir = join(repoRoot, 'dist-test')
  const stale = staleOutputs(outDir, repoRoot)
  for (const file of stale) rmSync(join(outDir, file))
  if (stale.length > 0) console.log(`dist-test: removed ${stale.length} files whose source is gone (${stale.slice(0, 5).join(', ')})`)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main()
