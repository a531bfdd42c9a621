import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { AppConfig } from '../../../lib/config.js'
import { createEmbedder, type Embedder } from '../../../lib/embedding/embedder.js'
import { defaultIndexPath, defaultModelDir, repoRoot } from '../../../lib/paths.js'
import { ModelMismatchError } from '../../../lib/errors.js'
import policyIndexPlugin, { type PolicyIndexPluginOptions } from '../../../plugins/app/policy-index.js'
import { buildIndex } from '../../../lib/corpus/build-index.js'
import { bareApp, captureLogs } from '../../helper.js'

const dir = mkdtempSync(join(tmpdir(), 'vector-store-plugin-test-'))
const embedder = createEmbedder({ modelDir: defaultModelDir })
t.teardown(async () => {
  await embedder.close()
  rmSync(dir, { recursive: true, force: true })
})
const fixtureIndex = join(dir, 'fixtures.sqlite')
await buildIndex({ corpusDir: join(repoRoot, 'test', 'fixtures', 'policies'), outPath: fixtureIndex, embedder })

interface Setup {
  config?: Partial<AppConfig>
  embedder?: Embedder
  options?: PolicyIndexPluginOptions
}

/** The plugin alone on a bare Fastify, with the config and embedder decorators it depends on. */
async function start (t: Test, setup: Setup = {}): Promise<{ app: FastifyInstance, logs: () => string }> {
  const logs = captureLogs()
  const app = await bareApp(t, setup.config, logs, 'info')
  await app.register(fp(async (f) => { f.decorate('embedder', setup.embedder ?? embedder) }, { name: 'embedder' }))
  await app.register(policyIndexPlugin, setup.options ?? {})
  await app.ready()
  return { app, logs: logs.text }
}

/** Replaces a file the way index:build does: a new file renamed over the old, never rewritten in place. */
function replace (path: string, from: string | Buffer): void {
  const tmp = `${path}.new`
  if (typeof from === 'string') copyFileSync(from, tmp)
  else writeFileSync(tmp, from)
  renameSync(tmp, path)
}

/** The real embedder under another model's name: what an index built by another model meets. */
function renamed (card: Partial<Embedder['card']>): Embedder {
  return Object.create(embedder, { card: { value: { ...embedder.card, ...card } } }) as Embedder
}

t.test('opens the committed index by default and reports operational', async (t) => {
  const { app, logs } = await start(t)
  t.equal(app.policyIndex.path, defaultIndexPath)
  t.equal(app.policyIndex.status, 'operational')
  t.equal(app.policyIndex.reason, undefined)
  t.equal(app.policyIndex.current?.listDocuments().length, 22)
  t.match(logs(), /vector store opened/)
})

t.test('a missing or corrupt file is unavailable, logged, and does not stop start-up', async (t) => {
  const missing = await start(t, { config: { VECTOR_STORE_PATH: join(dir, 'missing.sqlite') } })
  t.equal(missing.app.policyIndex.status, 'unavailable')
  t.equal(missing.app.policyIndex.current, undefined)
  t.match(missing.app.policyIndex.reason, /index file not found: .*missing\.sqlite/)
  t.match(missing.logs(), /"level":50.*vector store unavailable: index file not found/)

  const corrupt = join(dir, 'corrupt.sqlite')
  writeFileSync(corrupt, Buffer.alloc(8192, 7))
  const broken = await start(t, { options: { path: corrupt } })
  t.equal(broken.app.policyIndex.status, 'unavailable')
  t.match(broken.app.policyIndex.reason, /not a readable SQLite database/)
})

t.test('an index built by another model is model_mismatch: vector search refused, the rest works', async (t) => {
  const { app, logs } = await start(t, { embedder: renamed({ id: 'another-model', model_sha256: 'f'.repeat(64) }) })
  t.equal(app.policyIndex.status, 'model_mismatch')
  t.match(
    app.policyIndex.reason,
    /embedded by universal-sentence-encoder-lite.* but the embedder is another-model:f+; vector search is refused/
  )
  t.match(logs(), /"level":50.*vector search is refused/)
  const store = app.policyIndex.current
  t.throws(() => store?.vectorSearch(new Float32Array(512), 3), ModelMismatchError)
  t.ok((store?.keywordSearch('parental leave', 3).length ?? 0) > 0)
})

t.test('an unavailable embedder leaves the index serving and says the model was not checked', async (t) => {
  const unavailable = createEmbedder({ modelDir: join(dir, 'no-model') })
  t.teardown(() => unavailable.close())
  const { app } = await start(t, { embedder: unavailable })
  t.equal(app.policyIndex.status, 'operational')
  t.match(app.policyIndex.reason, /was not checked: model folder .*no-model is not usable/)
  t.equal(app.policyIndex.current?.listDocuments().length, 22)
})

t.test('reload swaps in a rebuilt file, keeps the old store for a grace period, then closes it', async (t) => {
  const path = join(dir, 'reload.sqlite')
  copyFileSync(defaultIndexPath, path)
  const { app } = await start(t, { options: { path, closeGraceMs: 20 } })
  const before = app.policyIndex.current
  replace(path, fixtureIndex)
  t.same(app.policyIndex.reload(), { ok: true, status: 'operational' })
  t.equal(app.policyIndex.current?.listDocuments().length, 3, 'the new file serves')
  t.equal(before?.listDocuments().length, 22, 'a request holding the old store still completes')
  await new Promise((resolve) => setTimeout(resolve, 60))
  t.throws(() => before?.listDocuments(), /not open/, 'closed after the grace period')
})

t.test('a failed reload keeps the store serving; a later good file recovers', async (t) => {
  const path = join(dir, 'reload-fail.sqlite')
  copyFileSync(fixtureIndex, path)
  const { app, logs } = await start(t, { options: { path } })
  const serving = app.policyIndex.current
  replace(path, Buffer.from('not a database at all, just text that is long enough to be read as a header'.repeat(100)))
  const result = app.policyIndex.reload()
  t.equal(result.ok, false)
  t.match(result.reason, /not a readable SQLite database/)
  t.equal(app.policyIndex.status, 'operational')
  t.equal(app.policyIndex.current, serving)
  t.equal(serving?.listDocuments().length, 3)
  t.match(logs(), /reload failed; the index already open keeps serving/)

  rmSync(path)
  const down = await start(t, { options: { path } })
  t.equal(down.app.policyIndex.status, 'unavailable')
  copyFileSync(fixtureIndex, path)
  t.same(down.app.policyIndex.reload(), { ok: true, status: 'operational' })
  t.equal(down.app.policyIndex.current?.listDocuments().length, 3)
})

t.test('closing the app closes the stores, retiring ones included', async (t) => {
  const path = join(dir, 'close.sqlite')
  copyFileSync(fixtureIndex, path)
  const { app } = await start(t, { options: { path, closeGraceMs: 60_000 } })
  const first = app.policyIndex.current
  app.policyIndex.reload()
  const second = app.policyIndex.current
  await app.close()
  t.throws(() => first?.listDocuments(), /not open/)
  t.throws(() => second?.listDocuments(), /not open/)
  t.equal(app.policyIndex.status, 'unavailable')
  t.equal(app.policyIndex.current, undefined)
})
