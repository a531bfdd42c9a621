import Database from 'better-sqlite3'
import { createHash, randomBytes } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { createEmbedder, modelFingerprint } from '../../../lib/embedding/embedder.js'
import { SCHEMA_VERSION, unitTextKey } from '../../../lib/search/index-schema.js'
import { defaultIndexPath, defaultModelDir, repoRoot } from '../../../lib/paths.js'
import {
  checkModel, IndexCorruptError, IndexNotFoundError, IndexSchemaError, openVectorStore,
  VectorStoreError, type VectorStore
} from '../../../lib/search/vector-store.js'
import { ModelMismatchError } from '../../../lib/errors.js'
import { buildIndex } from '../../../lib/corpus/build-index.js'

const dir = mkdtempSync(join(tmpdir(), 'vector-store-test-'))
const indexPath = join(dir, 'fixtures.sqlite')
const embedder = createEmbedder({ modelDir: defaultModelDir })
t.teardown(async () => {
  await embedder.close()
  rmSync(dir, { recursive: true, force: true })
})
await buildIndex({ corpusDir: join(repoRoot, 'test', 'fixtures', 'policies'), outPath: indexPath, embedder })
const fingerprint = modelFingerprint(embedder.card)

function open (t: Test, path = indexPath, expectedFingerprint = fingerprint): VectorStore {
  const store = openVectorStore(path, { expectedFingerprint })
  t.teardown(() => store.close())
  return store
}

async function embed (text: string): Promise<Float32Array> {
  const [vector] = await embedder.embed([text])
  if (vector === undefined) throw new Error('no vector')
  return vector
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex')

t.test('meta, documents and chunks read back', async (t) => {
  const store = open(t)
  t.equal(store.status, 'operational')
  t.match(
    store.meta,
    { schema_version: SCHEMA_VERSION, embedding_dimensions: embedder.card.dimensions, embedding_fingerprint: fingerprint }
  )
  t.match(store.meta.chunker_params, { algorithm: String, maxTokens: Number })
  const docs = store.listDocuments()
  t.same(docs.map((d) => d.id), ['data-retention', 'remote-work', 'travel-expenses'])
  t.same(
    docs[1],
    {
      id: 'remote-work',
      title: 'Remote Work',
      category: 'workplace',
      effective_date: '2024-03-01',
      version: '1.2',
      owner: 'People Operations',
      review_date: null,
      source_url: null,
      chunk_count: 3
    }
  )
  const detail = store.getDocument('remote-work')
  t.match(detail, { id: 'remote-work', chunk_count: 3, markdown: /^# Remote Work\n/ })
  t.equal(store.getDocument('nope'), undefined)
  const chunk = store.getChunk('remote-work#1')
  t.match(
    chunk,
    {
      chunk_id: 'remote-work#1',
      document_id: 'remote-work',
      document_title: 'Remote Work',
      category: 'workplace',
      heading: 'Remote Work > Equipment',
      ordinal: 1
    }
  )
  t.equal(detail?.markdown.slice(chunk?.start, chunk?.end), chunk?.text, 'chunk offsets slice the stored markdown')
  t.equal(store.getChunk('remote-work#99'), undefined)
  const all = store.listChunks()
  t.same(all.find((c) => c.chunk_id === 'remote-work#1'), chunk, 'listChunks gives each passage as getChunk does')
  t.equal(all.filter((c) => c.document_id === 'remote-work').length, 3)
})

t.test('vector search: cosine similarity, best first, filters still return k', async (t) => {
  const store = open(t)
  const hits = store.vectorSearch(await embed('Is there money for a desk chair at home?'), 3)
  t.equal(hits.length, 3)
  t.equal(hits[0]?.chunk_id, 'remote-work#1')
  t.same(hits.map((h) => h.rank), [1, 2, 3])
  t.ok(hits.every((h, i) => h.score <= 1 && h.score >= -1 && (i === 0 || (hits[i - 1]?.score ?? 0) >= h.score)))
  const finance = store.vectorSearch(await embed('Is there money for a desk chair at home?'), 5, { category: 'finance' })
  t.equal(finance.length, 5, 'k results although the best matches are in another category')
  t.ok(finance.every((h) => h.category === 'finance'))
  const one = store.vectorSearch(await embed('legal hold'), 10, { document_id: 'data-retention', category: 'privacy' })
  t.same(one.map((h) => h.chunk_id), ['data-retention#0'])
  t.same(store.vectorSearch(await embed('legal hold'), 10, { document_id: 'data-retention', category: 'hr' }), [])
  t.throws(() => store.vectorSearch(new Float32Array(3), 3), RangeError)
  t.throws(() => store.vectorSearch(new Float32Array(store.meta.embedding_dimensions), 0), RangeError)
})

t.test('keyword search: bm25, filters, and any text is safe', async (t) => {
  const store = open(t)
  const hits = store.keywordSearch('stipend for a chair', 5)
  t.equal(hits[0]?.chunk_id, 'remote-work#1')
  t.ok(hits.every((h, i) => i === 0 || (hits[i - 1]?.score ?? 0) >= h.score), 'higher score first')
  t.same(store.keywordSearch('stipend', 5, { category: 'finance' }), [])
  t.ok(store.keywordSearch('approval', 20, { document_id: 'travel-expenses' }).every((h) => h.document_id === 'travel-expenses'))
  t.same(store.keywordSearch('what is it', 5), [], 'only stopwords: no results, no error')
  for (const text of ['"unbalanced', 'NEAR(vpn', 'heading: vpn', 'vpn*', '-vpn ^vpn', 'AND OR NOT']) {
    t.doesNotThrow(() => store.keywordSearch(text, 5), text)
  }
  t.equal(store.keywordSearch('vpn NOT', 5)[0]?.document_id, 'remote-work')
})

t.test('keyword search without a filter ranks as the best of each category\'s own ranking (the committed index)', async (t) => {
  const store = open(t, defaultIndexPath, modelFingerprint(embedder.card))
  for (const text of [
    'how many vacation days do I get holiday leave annual leave pto paid time off time off days off', 'expense limit for meals',
    'report a security incident breach', 'leave', 'policy'
  ]) {
    for (const k of [1, 5, 20]) {
      const best = store.categories().flatMap((category) => store.keywordSearch(text, k, { category }))
        .sort((a, b) => b.score - a.score).slice(0, k).map((h) => [h.chunk_id, h.score])
      t.same(store.keywordSearch(text, k).map((h) => [h.chunk_id, h.score]), best, `${text} (k ${k})`)
    }
  }
})

t.test('model mismatch refuses vector search with a named error; the rest works', async (t) => {
  const { meta } = open(t)
  t.equal(checkModel(meta, fingerprint), 'operational')
  t.equal(checkModel(meta, 'other-model:0000'), 'model_mismatch')
  const store = open(t, indexPath, 'other-model:0000')
  t.equal(store.status, 'model_mismatch')
  const err = t.throws(() => store.vectorSearch(new Float32Array(store.meta.embedding_dimensions), 3))
  t.ok(err instanceof ModelMismatchError)
  t.match(err, { code: 'POLICY_RAG_MODEL_MISMATCH', statusCode: 503, message: /different embedding model/ })
  t.ok(store.keywordSearch('stipend', 3).length > 0)
  t.equal(store.listDocuments().length, 3)
})

t.test('missing, corrupt, truncated and foreign files fail with named errors', async (t) => {
  const broken = join(dir, 'broken')
  mkdirSync(broken, { recursive: true })
  const expect = (path: string, type: typeof VectorStoreError, code: string, message: RegExp): void => {
    const err = t.throws(() => openVectorStore(path))
    t.ok(err instanceof type, `${path}: ${type.name}`)
    t.match(err, { code, path, message })
  }
  expect(join(broken, 'missing.sqlite'), IndexNotFoundError, 'INDEX_NOT_FOUND', /index file not found/)
  expect(broken, IndexCorruptError, 'INDEX_CORRUPT', /not a regular file/)

  const random = join(broken, 'random.sqlite')
  writeFileSync(random, randomBytes(64 * 1024))
  expect(random, IndexCorruptError, 'INDEX_CORRUPT', /not a readable SQLite database/)

  const empty = join(broken, 'empty.sqlite')
  writeFileSync(empty, '')
  expect(empty, IndexSchemaError, 'INDEX_SCHEMA', /missing tables: meta, documents/)

  const size = statSync(indexPath).size
  for (const keep of [50, 4096, Math.floor(size / 2), size - 4096]) {
    const truncated = join(broken, `truncated-${keep}.sqlite`)
    copyFileSync(indexPath, truncated)
    truncateSync(truncated, keep)
    const err = t.throws(() => openVectorStore(truncated), `truncated to ${keep} bytes`)
    t.ok(err instanceof IndexCorruptError || err instanceof IndexSchemaError, `truncated to ${keep}: ${(err as Error).name}`)
  }

  const foreign = join(broken, 'foreign.sqlite')
  const db = new Database(foreign)
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)')
  db.close()
  expect(foreign, IndexSchemaError, 'INDEX_SCHEMA', /missing tables: meta, documents, chunks, chunks_fts, chunks_vec/)

  const future = join(broken, 'future.sqlite')
  copyFileSync(indexPath, future)
  const writable = new Database(future)
  writable.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run()
  writable.close()
  expect(future, IndexSchemaError, 'INDEX_SCHEMA', new RegExp(`schema version 99, this service reads version ${SCHEMA_VERSION}`))
})

t.test('the store opens the file read-only and never changes it', async (t) => {
  const before = sha256(indexPath)
  const store = openVectorStore(indexPath, { expectedFingerprint: fingerprint })
  store.keywordSearch('vpn', 3)
  store.vectorSearch(await embed('vpn'), 3)
  store.listDocuments()
  store.close()
  t.equal(sha256(indexPath), before)
})

t.test('the committed index holds a vector for every answer unit, close to the unit embedded now', async (t) => {
  const { passageUnitTexts } = await import('../../../lib/answer/extractive.js')
  const { defaultIndexPath } = await import('../../../lib/paths.js')
  const store = openVectorStore(defaultIndexPath)
  t.teardown(() => store.close())
  const embedder = createEmbedder({ modelDir: defaultModelDir, cacheSize: 0 })
  t.teardown(() => embedder.close())
  const chunks = ['sick-leave-policy#1', 'expense-policy#1', 'public-holidays-policy#1'].map((id) => store.getChunk(id))
  const texts = chunks.flatMap((c) => c === undefined ? [] : passageUnitTexts(c.text, c.heading))
  t.ok(texts.length > 10, `${texts.length} units`)
  const stored = store.unitVectors(texts)
  t.ok(stored.every((v) => v !== undefined), 'every unit has a stored vector: answering embeds only the question')
  const units = store.unitMatrix()
  if (units === undefined) throw new Error('the committed index has no unit matrix')
  t.equal(units.rowOf.size, units.steps.length, 'a row per stored unit')
  t.equal(units.matrix.length, units.steps.length * units.dimensions)
  const row = units.rowOf.get(unitTextKey(texts[0] as string)) as number
  const first = stored[0] as Float32Array
  t.ok(first.every((x, i) => x === Math.fround((units.matrix[row * units.dimensions + i] as number) * (units.steps[row] as number))),
    'a unit vector is its int8 row times the row\'s step')
  const fresh = await embedder.embed(texts)
  const cosines = stored.map((v, i) => (v as Float32Array).reduce((sum, x, k) => sum + x * ((fresh[i] as Float32Array)[k] as number), 0))
  t.ok(Math.min(...cosines) > 0.99, `int8 storage keeps cosine > 0.99 (min ${Math.min(...cosines).toFixed(4)})`)
  t.same(store.unitVectors(['a sentence no policy holds']), [undefined], 'an unknown text has none')
  t.ok(store.vocabulary().has('crewhouse') && !store.vocabulary().has('wifi'), 'the vocabulary is the words the policies use')
})
