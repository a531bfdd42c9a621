/**
 * Rebuilds tap's plugin loader when it belongs to another checkout (`npm test` runs this first).
 * `tap build` links node_modules/@tapjs/test/test-built to .tap/plugins, whose @tapjs/core is an
 * absolute symlink to the checkout it was built in. tap itself rebuilds only when the plugin list
 * changes, so a copied or moved checkout loads two copies of @tapjs/core and every test fails with
 * "weird thing got in the queue" until `tap build` runs again.
 *
 * Usage: tap-loader [--check]   (--check: only say whether it is stale; exit 1 if so)
 */
import { spawnSync } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { repoRoot } from '../lib/paths.js'

function real (path: string): string | undefined {
  try {
    return realpathSync(path)
  } catch {
    return undefined
  }
}

/** Why the loader must be rebuilt, or undefined when it is this checkout's. */
export function staleTapLoader (root: string): string | undefined {
  const built = join(root, 'node_modules', '@tapjs', 'test', 'test-built')
  if (!existsSync(join(built, 'package.json'))) return 'tap\'s plugin loader was never built'
  const core = real(join(root, 'node_modules', '@tapjs', 'core'))
  const linked = real(join(built, 'node_modules', '@tapjs', 'core'))
  if (linked === undefined) return 'tap\'s plugin loader links to a @tapjs/core that does not exist (.tap/plugins missing or moved)'
  if (linked !== core) return `tap's plugin loader links to another checkout's @tapjs/core (${linked})`
  return undefined
}

function main (): void {
  const reason = staleTapLoader(repoRoot)
  if (process.argv.includes('--check')) {
    console.log(reason ?? 'tap\'s plugin loader is up to date')
    process.exitCode = reason ? 1 : 0
    return
  }
  if (!reason) return
  console.log(`${reason}: running tap build`)
  const result = spawnSync(join(repoRoot, 'node_modules', '.bin', 'tap'), ['build'], { cwd: repoRoot, stdio: 'inherit' })
  process.exitCode = result.status ?? 1
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main()
