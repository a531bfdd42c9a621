import t from 'tap'
import { createEmbedder } from '../../../lib/embedding/embedder.js'
import { defaultIndexPath, defaultModelDir } from '../../../lib/paths.js'
import { quantizeInt8 } from '../../../lib/embedding/l2.js'
import { unitTextKey } from '../../../lib/search/index-schema.js'
import { blendedVectorScores, PassageUnitIndex, UNIT_WEIGHT } from '../../../lib/search/passage-units.js'
import { retrieve } from '../../../lib/search/retrieval.js'
import { openVectorStore } from '../../../lib/search/vector-store.js'

const unit = (...xs: number[]): Float32Array => {
  const v = Float32Array.from(xs)
  const norm = Math.hypot(...xs)
  return v.map((x) => x / norm)
}
type Passage = ReturnType<typeof passage>
const passage = (chunkId: string, documentId: string, category: string, ...vectors: Float32Array[]) =>
  ({ chunk: { chunk_id: chunkId, document_id: documentId, category }, vectors, texts: vectors.map((_, i) => `${chunkId} unit ${i}`) })

/** The unit matrix a store would hold for these passages' units, and the index over it. */
function indexOf (passages: Passage[], extraRows: Float32Array[] = []): PassageUnitIndex {
  const vectors = [...extraRows, ...passages.flatMap((p) => p.vectors)]
  const dimensions = vectors[0]?.length ?? 0
  const matrix = new Int8Array(vectors.length * dimensions)
  const steps = Float32Array.from(vectors, (v, row) => quantizeInt8(v, matrix, row * dimensions))
  const rowOf = new Map(passages.flatMap((p) => p.texts).map((text, i) => [unitTextKey(text), extraRows.length + i]))
  return new PassageUnitIndex({ matrix, steps, dimensions, rowOf }, passages)
}

t.test('each passage scores its best unit; filters and unit-less passages leave it out', async (t) => {
  const index = indexOf([
    passage('a', 'pto', 'leave', unit(1, 0), unit(0, 1)),
    passage('b', 'travel', 'expenses', unit(1, 1)),
    passage('c', 'pto', 'leave')
  ], [unit(0, 1)])
  const best = index.bestSimilarities(unit(0, 1))
  t.ok(Math.abs((best.get('a') ?? 0) - 1) < 1e-6, 'the second unit matches exactly')
  t.ok(Math.abs((best.get('b') ?? 0) - Math.SQRT1_2) < 1e-6)
  t.notOk(best.has('c'), 'a passage without unit vectors is not scored')
  t.equal(best.size, 2, 'a matrix row no passage holds scores none')
  t.same(indexOf([passage('c', 'pto', 'leave')]).bestSimilarities(unit(0, 1)), new Map(), 'no units, no scores')
  t.same([...index.bestSimilarities(unit(0, 1), { category: 'expenses' }).keys()], ['b'])
  t.same([...index.bestSimilarities(unit(0, 1), { document_id: 'pto' }).keys()], ['a'])
})

t.test('the blend weighs the best unit by UNIT_WEIGHT; a passage missing from one map takes its lowest value', async (t) => {
  const blended = blendedVectorScores(new Map([['a', 0.5], ['b', 0.2]]), new Map([['a', 0.9], ['c', 0.8]]))
  const mix = (p: number, u: number): number => (1 - UNIT_WEIGHT) * p + UNIT_WEIGHT * u
  t.ok(Math.abs((blended.get('a') ?? 0) - mix(0.5, 0.9)) < 1e-9)
  t.ok(Math.abs((blended.get('b') ?? 0) - mix(0.2, 0.8)) < 1e-9, 'b had no unit score: the lowest one seen')
  t.ok(Math.abs((blended.get('c') ?? 0) - mix(0.2, 0.8)) < 1e-9, 'c had no passage score: the lowest one seen')
  t.same(blendedVectorScores(new Map(), new Map()), new Map())
  const passageOnly = blendedVectorScores(new Map([['a', 0.5]]), new Map([['a', 0.9]]), 0)
  t.ok(Math.abs((passageOnly.get('a') ?? 0) - 0.5) < 1e-9, 'a unit weight of 0 reads the passage vector alone')
})

t.test('hybrid search ranks a passage by its best sentence, reading it from the index when the passage vector missed it', async (t) => {
  const store = openVectorStore(defaultIndexPath)
  const embedder = createEmbedder({ modelDir: defaultModelDir, cacheSize: 0 })
  t.teardown(async () => { store.close(); await embedder.close() })
  const query = 'How many unused vacation days can I carry over into next year?'
  const [vector] = await embedder.embed([query])
  const deps = { store, embedQuery: async () => vector as Float32Array }
  const settings = { rrfK: 10, keywordWeight: 0, candidates: 2 }
  const plain = await retrieve(deps, { query, topK: 2, mode: 'hybrid' }, settings)
  const seen = new Set(store.vectorSearch(vector as Float32Array, 8).map((h) => h.chunk_id))
  const far = store.listChunks().find((c) => !seen.has(c.chunk_id))
  if (far === undefined) throw new Error('the index has fewer than 9 passages')

  // Every passage's one unit points away from the question but the far passage's, which is the question.
  const away = (vector as Float32Array).map((x) => -x)
  const units = indexOf(store.listChunks().map((chunk) =>
    passage(chunk.chunk_id, chunk.document_id, chunk.category, chunk.chunk_id === far.chunk_id ? vector as Float32Array : away)))
  const aware = await retrieve({ ...deps, passageUnits: units }, { query, topK: 2, mode: 'hybrid' }, settings)
  t.notOk(plain.results.some((r) => r.chunk_id === far.chunk_id), 'the passage vector alone misses it')
  const found = aware.results.find((r) => r.chunk_id === far.chunk_id)
  t.match(found, { document_id: far.document_id, text: far.text, heading: far.heading, similarity: null, vector_rank: 1 })
  t.equal(aware.topSimilarity, plain.topSimilarity, 'the off-topic evidence is still the best passage similarity')
  const vectorOnly = await retrieve({ ...deps, passageUnits: units }, { query, topK: 2, mode: 'vector' }, settings)
  t.notOk(vectorOnly.results.some((r) => r.chunk_id === far.chunk_id), 'vector mode keeps the passage vectors alone')
})
