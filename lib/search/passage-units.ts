import { rowDots } from '../embedding/l2.js'
import type { ChunkRecord, SearchFilters } from './vector-store.js'

/** A passage and the vectors of its answer units (its sentences, list items and table rows). */
export interface PassageWithUnits {
  chunk: Pick<ChunkRecord, 'chunk_id' | 'document_id' | 'category'>
  vectors: readonly Float32Array[]
}

/**
 * The best cosine similarity between a query and any answer unit of each passage. A passage's own
 * vector blurs its sentences together; the one sentence that answers a question is closer to it than
 * the passage's average is, so the hybrid ranking reads both (see blendedVectorScores).
 */
export class PassageUnitIndex {
  readonly #passages: ReadonlyArray<Pick<ChunkRecord, 'chunk_id' | 'document_id' | 'category'>>
  /** Every unit vector end to end, passage by passage: one tight loop instead of a call per vector. */
  readonly #matrix: Float32Array
  /** Where each passage's units start in #matrix, in units; one more entry than passages. */
  readonly #starts: Uint32Array
  readonly #dimensions: number

  constructor (passages: readonly PassageWithUnits[]) {
    const kept = passages.filter((p) => p.vectors.length > 0)
    this.#passages = kept.map((p) => p.chunk)
    this.#dimensions = kept[0]?.vectors[0]?.length ?? 0
    this.#starts = new Uint32Array(kept.length + 1)
    kept.forEach((p, i) => { this.#starts[i + 1] = (this.#starts[i] as number) + p.vectors.length })
    this.#matrix = new Float32Array((this.#starts[kept.length] as number) * this.#dimensions)
    let offset = 0
    for (const p of kept) {
      for (const vector of p.vectors) {
        if (vector.length !== this.#dimensions) throw new Error(`unit vectors differ in length: ${vector.length} and ${this.#dimensions}`)
        this.#matrix.set(vector, offset)
        offset += this.#dimensions
      }
    }
  }

  /** chunk id → the best unit similarity, for the passages the filters allow. Vectors are unit length. */
  bestSimilarities (query: Float32Array, filters: SearchFilters = {}): Map<string, number> {
    const best = new Map<string, number>()
    const dims = this.#dimensions
    if (this.#passages.length > 0 && query.length !== dims) throw new Error(`vector lengths differ: ${query.length} and ${dims}`)
    const starts = this.#starts
    const passages = this.#passages
    const scores = rowDots(this.#matrix, query, new Float64Array(starts[passages.length] as number))
    for (let i = 0; i < passages.length; i++) {
      const chunk = passages[i] as (typeof passages)[number]
      if (filters.category !== undefined && chunk.category !== filters.category) continue
      if (filters.document_id !== undefined && chunk.document_id !== filters.document_id) continue
      let top = -Infinity
      for (let u = starts[i] as number, end = starts[i + 1] as number; u < end; u++) top = Math.max(top, scores[u] as number)
      best.set(chunk.chunk_id, top)
    }
    return best
  }
}

/** Weight of the best unit's similarity against the passage's own (chosen on half the dev questions). */
export const UNIT_WEIGHT = 0.7

/**
 * Each passage's vector score: (1 - UNIT_WEIGHT) × its own similarity + UNIT_WEIGHT × its best unit's.
 * A passage missing from one of the two maps takes that map's lowest value, so a partial list never
 * ranks a passage above one it was compared with.
 */
export function blendedVectorScores (passage: ReadonlyMap<string, number>, unit: ReadonlyMap<string, number>): Map<string, number> {
  const floor = (m: ReadonlyMap<string, number>): number => (m.size === 0 ? 0 : Math.min(...m.values()))
  const passageFloor = floor(passage)
  const unitFloor = floor(unit)
  const blended = new Map<string, number>()
  for (const id of new Set([...passage.keys(), ...unit.keys()])) {
    blended.set(id, (1 - UNIT_WEIGHT) * (passage.get(id) ?? passageFloor) + UNIT_WEIGHT * (unit.get(id) ?? unitFloor))
  }
  return blended
}
