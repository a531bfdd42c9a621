/**
 * Hybrid retrieval: sqlite-vec kNN and FTS5 BM25 over the same chunks, fused by reciprocal rank. With
 * the passages' unit vectors at hand, the vector ranking that is fused also reads each passage's best
 * sentence (lib/search/passage-units).
 */
import { performance } from 'node:perf_hooks'
import { reciprocalRankFusion } from './fusion.js'
import { blendedVectorScores, type PassageUnitIndex } from './passage-units.js'
import type { SynonymMap } from './synonyms.js'
import { MAX_K, type ChunkHit, type ChunkRecord, type SearchFilters, type VectorStore } from './vector-store.js'

export type SearchMode = 'hybrid' | 'vector' | 'keyword'

export interface RetrieveRequest {
  query: string
  topK: number
  mode: SearchMode
  filters?: SearchFilters
}

export interface RetrievalSettings {
  rrfK: number
  /** Weight of the keyword ranking in the fusion (the vector ranking's is 1; default 1). */
  keywordWeight?: number
  /** How many candidates each of vector and keyword search contributes before fusion. */
  candidates: number
  /** Weight of each passage's best unit against the passage's own vector (default UNIT_WEIGHT). */
  unitWeight?: number
}

export interface RetrievedChunk extends Omit<ChunkHit, 'rank' | 'score'> {
  rank: number
  score: number
  vector_rank: number | null
  keyword_rank: number | null
  /** Cosine similarity to the query, when vector search found the chunk. */
  similarity: number | null
}

export interface Retrieval {
  results: RetrievedChunk[]
  /** The query's embedding, when the mode computed one (the extractive answerer reuses it). */
  queryVector: Float32Array | null
  /** Evidence for off-topic detection: the best cosine similarity and the best BM25 score seen. */
  topSimilarity: number | null
  topKeywordScore: number | null
  timingsMs: { embed: number, vector: number, keyword: number, total: number }
}

export interface RetrievalDeps {
  store: VectorStore
  embedQuery: (text: string) => Promise<Float32Array>
  /** Workplace synonyms added to keyword queries (none when absent). */
  synonyms?: SynonymMap
  /** The passages' unit vectors: hybrid search then ranks passages by their best sentence too. */
  passageUnits?: PassageUnitIndex
}

export async function retrieve (deps: RetrievalDeps, request: RetrieveRequest, settings: RetrievalSettings): Promise<Retrieval> {
  const started = performance.now()
  const timings = { embed: 0, vector: 0, keyword: 0, total: 0 }
  const depth = request.mode === 'hybrid' ? Math.max(settings.candidates, request.topK) : request.topK

  let queryVector: Float32Array | null = null
  let vectorHits: ChunkHit[] = []
  let vectorRanking: ChunkHit[] = []
  if (request.mode !== 'keyword') {
    queryVector = await timed(timings, 'embed', () => deps.embedQuery(request.query))
    const vector = queryVector
    await timed(timings, 'vector', async () => {
      const units = request.mode === 'hybrid' ? deps.passageUnits : undefined
      vectorHits = deps.store.vectorSearch(vector, units === undefined ? depth : Math.min(MAX_K, depth * 4), request.filters)
      vectorRanking = units === undefined
        ? vectorHits
        : sentenceAwareRanking(deps.store, vectorHits, units.bestSimilarities(vector, request.filters), depth, settings.unitWeight)
    })
  }
  let keywordHits: ChunkHit[] = []
  if (request.mode !== 'vector') {
    const synonyms = deps.synonyms?.expansions(request.query) ?? []
    keywordHits = await timed(timings, 'keyword', async () => deps.store.keywordSearch(request.query, depth, request.filters, synonyms))
  }

  const results = fuse(vectorRanking, keywordHits, request, settings, new Map(vectorHits.map((h) => [h.chunk_id, h.score])))
  timings.total = round(performance.now() - started)
  return {
    results,
    queryVector,
    topSimilarity: vectorHits[0]?.score ?? null,
    topKeywordScore: keywordHits[0]?.score ?? null,
    timingsMs: timings
  }
}

/**
 * The passages best by blended passage and unit similarity (blendedVectorScores), best first, at most
 * `depth`. A passage found only through its units is read from the store.
 */
function sentenceAwareRanking (store: VectorStore, hits: ChunkHit[], unitBest: Map<string, number>, depth: number,
  unitWeight?: number): ChunkHit[] {
  const byId = new Map(hits.map((h) => [h.chunk_id, h]))
  const blended = blendedVectorScores(new Map(hits.map((h) => [h.chunk_id, h.score])), unitBest, unitWeight)
  const best = [...blended.entries()].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0)).slice(0, depth)
  return best.flatMap(([id, score], index) => {
    const found: (ChunkHit | ChunkRecord) | undefined = byId.get(id) ?? store.getChunk(id)
    if (found === undefined) return []
    const { ordinal: _ordinal, start: _start, end: _end, ...hit } = found as ChunkHit & Partial<ChunkRecord>
    return [{ ...hit, rank: index + 1, score }]
  })
}

function fuse (vectorHits: ChunkHit[], keywordHits: ChunkHit[], request: RetrieveRequest, settings: RetrievalSettings,
  similarity: Map<string, number>): RetrievedChunk[] {
  const byId = new Map<string, ChunkHit>()
  for (const hit of [...vectorHits, ...keywordHits]) if (!byId.has(hit.chunk_id)) byId.set(hit.chunk_id, hit)
  const fused = reciprocalRankFusion({
    vector: vectorHits.map((h) => h.chunk_id),
    keyword: keywordHits.map((h) => h.chunk_id)
  }, { k: settings.rrfK, limit: request.topK, weights: { keyword: settings.keywordWeight ?? 1 } })
  return fused.map((f, i) => {
    const { rank: _rank, score: _score, ...hit } = byId.get(f.chunk_id) as ChunkHit
    return {
      ...hit,
      rank: i + 1,
      score: round(scoreFor(request.mode, f.score, byId.get(f.chunk_id) as ChunkHit), 6),
      vector_rank: f.vector_rank,
      keyword_rank: f.keyword_rank,
      similarity: similarity.get(f.chunk_id) ?? null
    }
  })
}

/** Hybrid results carry the fused RRF score; single-mode results keep that mode's own score. */
function scoreFor (mode: SearchMode, fused: number, hit: ChunkHit): number {
  return mode === 'hybrid' ? fused : hit.score
}

async function timed<T> (
  timings: Record<'embed' | 'vector' | 'keyword', number>,
  key: 'embed' | 'vector' | 'keyword',
  fn: () => Promise<T>
): Promise<T> {
  const start = performance.now()
  try {
    return await fn()
  } finally {
    timings[key] = round(performance.now() - start)
  }
}

function round (value: number, digits = 3): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}
