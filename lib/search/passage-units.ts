import { rowDots } from '../embedding/l2.js'
import { unitTextKey } from './index-schema.js'
import type { ChunkRecord, SearchFilters, UnitMatrix } from './vector-store.js'

type PassageRef = Pick<ChunkRecord, 'chunk_id' | 'document_id' | 'category'>

/** A passage and the texts of its answer units (its sentences, list items and table rows). */
export interface PassageWithUnits {
  chunk: PassageRef
  texts: readonly string[]
}

/**
 * The best cosine similarity between a query and any answer unit of each passage. A passage's own
 * vector blurs its sentences together; the one sentence that answers a question is closer to it than
 * the passage's average is, so the hybrid ranking reads both (see blendedVectorScores). It reads the
 * store's unit matrix in place: one scan of every unit, then each passage's best row.
 */
export class PassageUnitIndex {
  readonly #units: Pick<UnitMatrix, 'matrix' | 'steps' | 'dimensions'>
  readonly #passages: readonly PassageRef[]
  /** The matrix rows of every passage's units, end to end, passage by passage. */
  readonly #rows: Uint32Array
  /** Where each passage's rows start in #rows; one more entry than passages. */
  readonly #starts: Uint32Array

  constructor (units: UnitMatrix, passages: readonly PassageWithUnits[]) {
    const kept: PassageRef[] = []
    const rows: number[] = []
    const starts = [0]
    for (const { chunk, texts } of passages) {
      const own = texts.map((text) => units.rowOf.get(unitTextKey(text))).filter((row) => row !== undefined)
      if (own.length === 0) continue
      kept.push(chunk)
      rows.push(...own)
      starts.push(rows.length)
    }
    this.#units = units
    this.#passages = kept
    this.#rows = Uint32Array.from(rows)
    this.#starts = Uint32Array.from(starts)
  }

  /** chunk id → the best unit similarity, for the passages the filters allow. Vectors are unit length. */
  bestSimilarities (query: Float32Array, filters: SearchFilters = {}): Map<string, number> {
    const best = new Map<string, number>()
    const { matrix, steps, dimensions } = this.#units
    if (this.#passages.length > 0 && query.length !== dimensions) {
      throw new Error(`vector lengths differ: ${query.length} and ${dimensions}`)
    }
    const starts = this.#starts
    const rows = this.#rows
    const passages = this.#passages
    const scores = rowDots(matrix, query, new Float64Array(passages.length === 0 ? 0 : steps.length))
    for (let i = 0; i < passages.length; i++) {
      const chunk = passages[i] as PassageRef
      if (filters.category !== undefined && chunk.category !== filters.category) continue
      if (filters.document_id !== undefined && chunk.document_id !== filters.document_id) continue
      let top = -Infinity
      for (let u = starts[i] as number, end = starts[i + 1] as number; u < end; u++) {
        const row = rows[u] as number
        top = Math.max(top, (scores[row] as number) * (steps[row] as number))
      }
      best.set(chunk.chunk_id, top)
    }
    return best
  }
}

/** Weight of the best unit's similarity against the passage's own (chosen on half the dev questions). */
export const UNIT_WEIGHT = 0.7

/**
 * Each passage's vector score: (1 - unitWeight) × its own similarity + unitWeight × its best unit's.
 * A passage missing from one of the two maps takes that map's lowest value, so a partial list never
 * ranks a passage above one it was compared with.
 */
export function blendedVectorScores (
  passage: ReadonlyMap<string, number>, unit: ReadonlyMap<string, number>, unitWeight = UNIT_WEIGHT
): Map<string, number> {
  const floor = (m: ReadonlyMap<string, number>): number => (m.size === 0 ? 0 : Math.min(...m.values()))
  const passageFloor = floor(passage)
  const unitFloor = floor(unit)
  const blended = new Map<string, number>()
  for (const id of new Set([...passage.keys(), ...unit.keys()])) {
    blended.set(id, (1 - unitWeight) * (passage.get(id) ?? passageFloor) + unitWeight * (unit.get(id) ?? unitFloor))
  }
  return blended
}
