import type { FastifyInstance } from 'fastify'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { AppConfig } from '../../../lib/config.js'
import { dot } from '../../../lib/embedding/l2.js'
import embedderPlugin from '../../../plugins/app/embedder.js'
import { bareApp, build as buildFull, sharedEmbedder } from '../../helper.js'
import { writeTinyBert } from '../../helpers/tiny-bert.js'

const root = mkdtempSync(join(tmpdir(), 'embedder-plugin-'))
t.teardown(() => rmSync(root, { recursive: true, force: true }))

async function build (t: Test, overrides: Partial<AppConfig>): Promise<FastifyInstance> {
  const app = await bareApp(t, overrides)
  await app.register(embedderPlugin)
  await app.ready()
  return app
}

t.test('the default model: not_loaded until the first embed, then operational; close releases it', async (t) => {
  const app = await build(t, { EMBEDDING_MODEL_PATH: '', EMBEDDING_THREADS: 1, EMBEDDING_CACHE_SIZE: 16 })
  t.equal(app.embedder.status(), 'not_loaded', 'starting does not load the model')
  t.equal(app.embedder.card.family, 'use-lite')
  const [v] = await app.embedder.embed(['How many vacation days do I get?'])
  t.equal(v?.length, 512)
  t.equal(app.embedder.status(), 'operational')
  await app.close()
  t.equal(app.embedder.loaded, false, 'onClose released the session')
  await t.rejects(app.embedder.embed(['after close']))
})

t.test('EMBEDDING_MODEL_PATH selects a sentence-transformers BERT folder', async (t) => {
  const { dir, hidden } = writeTinyBert(join(root, 'tiny-bert'))
  const app = await build(t, { EMBEDDING_MODEL_PATH: dir, EMBEDDING_THREADS: 2, EMBEDDING_CACHE_SIZE: 0 })
  t.equal(app.embedder.card.family, 'bert')
  t.equal(app.embedder.card.dimensions, hidden)
  const [v] = await app.embedder.embed(['how many vacation days do i get?'])
  t.ok(Math.abs(dot(v as Float32Array, v as Float32Array) - 1) < 1e-5)
})

t.test('a missing model folder leaves the app running with an unavailable embedder', async (t) => {
  const app = await build(t, { EMBEDDING_MODEL_PATH: join(root, 'missing') })
  t.equal(app.embedder.status(), 'unavailable')
  t.match(app.embedder.reason, /missing.*model\.onnx is missing/)
  await t.rejects(app.embedder.embed(['hello']), { code: 'POLICY_RAG_EMBEDDER_UNAVAILABLE' })
})

t.test('an embedder handed to buildApp is the app\'s, used by its searches and left open when the app closes', async (t) => {
  const embedder = sharedEmbedder()
  const first = await buildFull(t, { EMBEDDING_MODEL_PATH: join(root, 'missing') }, { embedder })
  t.equal(first.embedder, embedder, 'not one opened from EMBEDDING_MODEL_PATH')
  const search = await first.inject({ method: 'POST', url: '/search', payload: { query: 'vacation days', mode: 'vector' } })
  t.equal(search.statusCode, 200)
  t.equal(embedder.status(), 'operational', 'the search loaded it')
  await first.close()
  t.equal(embedder.loaded, true, 'the app did not close it: its owner does')
  const second = await buildFull(t, {}, { embedder })
  t.equal((await second.inject({ method: 'POST', url: '/search', payload: { query: 'sick leave', mode: 'vector' } })).statusCode, 200)
})
