import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { repoRoot } from '../../lib/paths.js'
import { staleTapLoader } from '../../tools/tap-loader.js'

const base = mkdtempSync(join(tmpdir(), 'tap-loader-'))
t.teardown(() => rmSync(base, { recursive: true, force: true }))

/** The layout `tap build` leaves: test-built links (relatively) to .tap/plugins, which links (absolutely) to @tapjs/core. */
function builtCheckout (name: string): string {
  const root = join(base, name)
  const core = join(root, 'node_modules', '@tapjs', 'core')
  const built = join(root, 'node_modules', '@tapjs', 'test', 'test-built')
  mkdirSync(core, { recursive: true })
  mkdirSync(built, { recursive: true })
  writeFileSync(join(built, 'package.json'), '{}')
  symlinkSync('../../../../.tap/plugins/node_modules', join(built, 'node_modules'))
  mkdirSync(join(root, '.tap', 'plugins', 'node_modules', '@tapjs'), { recursive: true })
  symlinkSync(core, join(root, '.tap', 'plugins', 'node_modules', '@tapjs', 'core'))
  return root
}

t.test('a loader built in this checkout is fresh, as is the repository\'s own after pretest', async (t) => {
  t.equal(staleTapLoader(builtCheckout('fresh')), undefined)
  t.equal(staleTapLoader(repoRoot), undefined)
})

t.test('a copied or moved checkout is stale: its loader still points at the old @tapjs/core', async (t) => {
  const original = builtCheckout('original')
  const copy = join(base, 'copy')
  cpSync(original, copy, { recursive: true, verbatimSymlinks: true })
  t.match(staleTapLoader(copy), /links to another checkout's @tapjs\/core \(.*original\/node_modules\/@tapjs\/core\)/)
  rmSync(original, { recursive: true })
  t.match(staleTapLoader(copy), /links to a @tapjs\/core that does not exist/, 'moved: the old checkout is gone')
})

t.test('node_modules copied without .tap, or never built, is stale', async (t) => {
  const root = builtCheckout('no-tap-folder')
  rmSync(join(root, '.tap'), { recursive: true })
  t.match(staleTapLoader(root), /does not exist/)
  const never = join(base, 'never')
  mkdirSync(join(never, 'node_modules', '@tapjs', 'core'), { recursive: true })
  t.match(staleTapLoader(never), /never built/)
})
