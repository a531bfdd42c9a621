/**
 * Tunes hybrid retrieval on the dev split only, with the two-fold check (even and odd question ids):
 * prints hybrid recall@1 / recall@5 per half for each setting of a grid around the defaults, one
 * knob at a time: the fusion's keyword weight and k, the candidates per list, the passage units'
 * weight, and the FTS5 bm25 column weights (heading, text), which the sweep applies through its own
 * read-only connection to the same index.
 *   npx tsx tools/sweep-retrieval.ts
 */
import Database from 'better-sqlite3'
import { buildApp } from '../app.js'
import { passageUnitTexts } from '../lib/answer/extractive.js'
import { retrievalQuery } from '../lib/answer/follow-up.js'
import { toFtsQuery } from '../lib/search/fts-query.js'
import { PassageUnitIndex, UNIT_WEIGHT } from '../lib/search/passage-units.js'
import { retrieve, type RetrievalSettings } from '../lib/search/retrieval.js'
import { workplaceSynonyms } from '../lib/search/synonyms.js'
import { BM25_WEIGHTS, type ChunkHit, type VectorStore } from '../lib/search/vector-store.js'
import { loadQuestions } from './eval.js'

interface Setting extends RetrievalSettings { bm25: readonly [number, number] }

const app = await buildApp({ env: {}, logger: false, config: { RATE_LIMIT_MAX: 0 } })
await app.ready()
const config = app.config
const base: Setting = {
  rrfK: config.RRF_K,
  keywordWeight: config.RRF_KEYWORD_WEIGHT,
  candidates: config.RETRIEVAL_CANDIDATES,
  unitWeight: UNIT_WEIGHT,
  bm25: [BM25_WEIGHTS.heading, BM25_WEIGHTS.text]
}
const store = app.retriever.store() as VectorStore
const db = new Database(app.policyIndex.path, { readonly: true, fileMustExist: true })
const synonyms = workplaceSynonyms()
const questions = loadQuestions().filter((q) => q.split === 'dev' && q.style !== 'unanswerable')
const vectors = new Map<string, Float32Array>()
const units = store.unitMatrix()
// As the retriever builds it (plugins/app/retriever.ts).
const passageUnits = units === undefined
  ? undefined
  : new PassageUnitIndex(units, store.listChunks().map((chunk) => ({ chunk, texts: passageUnitTexts(chunk.text, chunk.heading) })))

function keywordSearchWith (weights: readonly [number, number]): VectorStore['keywordSearch'] {
  const sql = db.prepare<{ query: string, k: number }, ChunkHit & { value: number }>(
    `SELECT c.id AS chunk_id, c.document_id, d.title AS document_title, d.category, c.heading, c.text, d.version,
      d.effective_date, d.source_url, f.value
    FROM (SELECT rowid, bm25(chunks_fts, ${weights[0]}, ${weights[1]}) AS value
      FROM chunks_fts WHERE chunks_fts MATCH @query ORDER BY value, rowid LIMIT @k) f
    JOIN chunks c ON c.rowid = f.rowid JOIN documents d ON d.id = c.document_id
    ORDER BY f.value, c.rowid`)
  return (text, k, _filters, phrases = []) => {
    const query = toFtsQuery(text, phrases)
    if (query === null) return []
    return sql.all({ query, k }).map(({ value, ...hit }, i) => ({ ...hit, rank: i + 1, score: -value }))
  }
}

async function figures (s: Setting): Promise<string> {
  const t = { even: { r1: 0, r5: 0, n: 0 }, odd: { r1: 0, r5: 0, n: 0 } }
  const deps = {
    store: { ...store, keywordSearch: keywordSearchWith(s.bm25) },
    synonyms,
    passageUnits,
    embedQuery: async (text: string) => {
      const known = vectors.get(text)
      if (known !== undefined) return known
      const v = (await app.embedder.embed([text]))[0] as Float32Array
      vectors.set(text, v)
      return v
    }
  }
  for (const q of questions) {
    const { results } = await retrieve(deps, { query: retrievalQuery(q.question, q.history ?? []), topK: 5, mode: 'hybrid' }, s)
    const rank = results.findIndex((r) => q.document_ids.includes(r.document_id)) + 1
    const half = Number(q.id.slice(1)) % 2 === 0 ? t.even : t.odd
    half.n++
    if (rank === 1) half.r1++
    if (rank >= 1 && rank <= 5) half.r5++
  }
  const f = (h: typeof t.even): string => `${h.r1}/${h.r5} of ${h.n}`
  const n = t.even.n + t.odd.n
  return `R@1 ${((t.even.r1 + t.odd.r1) / n).toFixed(3)} R@5 ${((t.even.r5 + t.odd.r5) / n).toFixed(3)}  even ${f(t.even)}  odd ${f(t.odd)}`
}

const grid: Array<[string, Array<Partial<Setting>>]> = [
  ['keywordWeight', [1.5, 2.5, 3, 4].map((keywordWeight) => ({ keywordWeight }))],
  ['rrfK', [5, 20, 30].map((rrfK) => ({ rrfK }))],
  ['candidates', [10, 30, 50].map((candidates) => ({ candidates }))],
  ['unitWeight', [0.5, 0.6, 0.8, 0.9].map((unitWeight) => ({ unitWeight }))],
  ['bm25', ([[1, 1], [3, 1], [5, 1], [10, 1]] as const).map((bm25) => ({ bm25 }))]
]
const extra = process.argv.slice(2).map((a) => JSON.parse(a) as Partial<Setting>)
console.log('defaults', JSON.stringify(base), await figures(base))
for (const e of extra) console.log(JSON.stringify(e), await figures({ ...base, ...e }))
if (extra.length === 0) {
  for (const [name, settings] of grid) {
    for (const s of settings) console.log(name, JSON.stringify(s), await figures({ ...base, ...s }))
  }
}
db.close()
await app.close()
