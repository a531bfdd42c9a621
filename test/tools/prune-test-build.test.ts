import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { staleOutputs } from '../../tools/prune-test-build.js'

t.test('compiled files whose source was deleted or renamed are stale; the rest, and the build info, are kept', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'prune-test-build-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const write = (file: string): void => {
    mkdirSync(join(root, file, '..'), { recursive: true })
    writeFileSync(join(root, file), '')
  }
  for (const source of ['app.ts', 'test/kept.test.ts', 'test/renamed-now.test.ts']) write(source)
  for (const output of [
    'app.js', 'app.js.map', 'test/kept.test.js', 'test/kept.test.js.map', 'test/renamed-now.test.js',
    'test/renamed.test.js', 'test/renamed.test.js.map', 'test/gone/deleted.test.js', '.tsbuildinfo'
  ]) write(join('dist-test', output))
  t.same(
    staleOutputs(join(root, 'dist-test'), root).sort(),
    ['test/gone/deleted.test.js', 'test/renamed.test.js', 'test/renamed.test.js.map']
  )
})
