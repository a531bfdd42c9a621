/** Reciprocal rank fusion (Cormack et al., 2009): score = Σ weight / (k + rank) over the lists a chunk appears in. */

export const DEFAULT_RRF_K = 60

export interface RankedLists {
  /** Chunk ids, best first. */
  vector?: readonly string[]
  keyword?: readonly string[]
}

export interface FusedResult {
  chunk_id: string
  score: number
  /** 1-based rank in each list, null when the chunk is not in it. */
  vector_rank: number | null
  keyword_rank: number | null
}

export interface FusionOptions {
  k?: number
  limit?: number
  /** Weighted RRF: each list's terms are multiplied by its weight (default 1). */
  weights?: { vector?: number, keyword?: number }
}

export function reciprocalRankFusion (lists: RankedLists, options: FusionOptions = {}): FusedResult[] {
  const k = options.k ?? DEFAULT_RRF_K
  if (!Number.isFinite(k) || k <= 0) throw new RangeError(`RRF k must be a positive number, got ${k}`)
  const fused = new Map<string, FusedResult>()
  const add = (ids: readonly string[] | undefined, field: 'vector_rank' | 'keyword_rank'): void => {
    ids?.forEach((id, index) => {
      const entry = fused.get(id) ?? { chunk_id: id, score: 0, vector_rank: null, keyword_rank: null }
      if (entry[field] !== null) return
      entry[field] = index + 1
      fused.set(id, entry)
    })
  }
  add(lists.vector, 'vector_rank')
  add(lists.keyword, 'keyword_rank')
  for (const entry of fused.values()) {
    entry.score = (options.weights?.vector ?? 1) * rrfTerm(entry.vector_rank, k) +
      (options.weights?.keyword ?? 1) * rrfTerm(entry.keyword_rank, k)
  }
  const ranked = [...fused.values()].sort(compare)
  return options.limit === undefined ? ranked : ranked.slice(0, Math.max(0, options.limit))
}

function rrfTerm (rank: number | null, k: number): number {
  return rank === null ? 0 : 1 / (k + rank)
}

/** Higher score first; then the better single rank; then vector before keyword; then id, so order never depends on input order. */
function compare (a: FusedResult, b: FusedResult): number {
  return b.score - a.score ||
    bestRank(a) - bestRank(b) ||
    (a.vector_rank ?? Infinity) - (b.vector_rank ?? Infinity) ||
    (a.chunk_id < b.chunk_id ? -1 : a.chunk_id > b.chunk_id ? 1 : 0)
}

function bestRank (r: FusedResult): number {
  return Math.min(r.vector_rank ?? Infinity, r.keyword_rank ?? Infinity)
}
