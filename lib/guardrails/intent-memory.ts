/**
 * The intent classifier's memory: every training sentence's vector, kept in a small projected space, so the classifier
 * can ask how close a question comes to the nearest known legitimate question, injection, request about a person,
 * off-topic question and policy heading. A linear model over the raw vector cannot tell "near one cricket question"
 * from "near the policies"; the nearest neighbour of each kind can. The vectors are projected on the training
 * vectors' principal axes (`components` of them) and renormalised, which keeps the scan of a few thousand rows within
 * a few tenths of a millisecond; they are stored as int8 (scaled by 127) in base64 and kept and scanned as int8.
 */
import { rowDots } from '../embedding/l2.js'

/** Which kind of sentence a memory row is: the intent classes a question can have, plus the corpus's own headings. */
export const MEMORY_GROUPS = ['legit', 'injection', 'other_person_data', 'off_topic', 'heading'] as const

/** The features the memory adds after the evidence: the closest row of each group, then four contrasts. */
export const MEMORY_FEATURES = [
  ...MEMORY_GROUPS.map((g) => `nearest_${g}`),
  'injection_minus_legit', 'other_person_minus_legit', 'off_topic_minus_legit', 'off_topic_minus_heading'
] as const

export interface IntentMemory {
  /** The projection's rows: `components` unit axes of the embedding's `dimensions`. */
  components: number
  projection: Float32Array
  /** `rows × components` int8, each row of unit length once divided by INT8_SCALE. */
  vectors: Int8Array
  /** Each row's index in MEMORY_GROUPS. */
  groups: Uint8Array
}

/** The memory as the weights file keeps it. */
export interface StoredMemory {
  components: number
  /** Float32 little-endian, `components × dimensions`, base64. */
  projection: string
  /** Int8, `rows × components`, scaled by 127, base64. */
  vectors: string
  /** One MEMORY_GROUPS index per row. */
  groups: number[]
}

const INT8_SCALE = 127

/** The unit-length projection of `vector` (a question's or a training sentence's) on the memory's axes. */
export function project (projection: Float32Array, components: number, vector: ArrayLike<number>): Float32Array {
  const d = vector.length
  const out = new Float32Array(components)
  let norm = 0
  for (let c = 0; c < components; c++) {
    let s = 0
    for (let i = 0, o = c * d; i < d; i++) s += (projection[o + i] as number) * (vector[i] as number)
    out[c] = s
    norm += s * s
  }
  norm = Math.sqrt(norm) || 1
  for (let c = 0; c < components; c++) out[c] = (out[c] as number) / norm
  return out
}

/**
 * The closest similarity per group to `query` (projected), then the contrasts. `skip(row)` leaves rows out: the trainer
 * scores a training sentence without itself and a held-out fold without its own rows. A group with no row scores -1.
 */
export function memoryFeatures (
  memory: Pick<IntentMemory, 'components' | 'vectors' | 'groups'>,
  query: Float32Array,
  skip?: (row: number) => boolean
): number[] {
  const best = new Float64Array(MEMORY_GROUPS.length).fill(-1)
  const { components, vectors, groups } = memory
  if (query.length !== components) throw new RangeError(`the query has ${query.length} components, the memory ${components}`)
  const scores = rowDots(vectors, query, new Float64Array(groups.length))
  for (let row = 0; row < groups.length; row++) {
    if (skip !== undefined && skip(row)) continue
    const g = groups[row] as number
    const score = (scores[row] as number) / INT8_SCALE
    if (score > (best[g] as number)) best[g] = score
  }
  const [legit, injection, person, offTopic, heading] = best as unknown as [number, number, number, number, number]
  return [...best, injection - legit, person - legit, offTopic - legit, offTopic - heading]
}

/** Decodes and checks a stored memory; throws with what is wrong. */
export function parseMemory (value: unknown, dimensions: number): IntentMemory {
  const m = value as Partial<StoredMemory> | null
  if (typeof m !== 'object' || m === null) throw new Error('intent model: memory must be an object')
  const components = m.components
  if (typeof components !== 'number' || !Number.isInteger(components) || components <= 0 || components > dimensions) {
    throw new Error('intent model: memory.components must be an integer in [1, dimensions]')
  }
  if (typeof m.projection !== 'string' || typeof m.vectors !== 'string' || !Array.isArray(m.groups)) {
    throw new Error('intent model: memory needs projection, vectors and groups')
  }
  const raw = Buffer.from(m.projection, 'base64')
  if (raw.length !== components * dimensions * 4) {
    throw new Error(`intent model: memory.projection must be ${components}×${dimensions} float32`)
  }
  // A copy, so the floats start on a 4-byte boundary (a decoded Buffer may not); little-endian, as every supported platform.
  const projection = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length))
  const bytes = Buffer.from(m.vectors, 'base64')
  const rows = m.groups.length
  if (bytes.length !== rows * components) throw new Error(`intent model: memory.vectors must be ${rows}×${components} int8`)
  if (!m.groups.every((g) => Number.isInteger(g) && g >= 0 && g < MEMORY_GROUPS.length)) {
    throw new Error(`intent model: memory.groups must be indexes of ${MEMORY_GROUPS.join(', ')}`)
  }
  const vectors = Int8Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length))
  return { components, projection, vectors, groups: Uint8Array.from(m.groups) }
}

/** The stored form of a memory whose rows are projected unit vectors (floats, rounded to int8 here). */
export function storeMemory (memory: Omit<IntentMemory, 'vectors'> & { vectors: Float32Array }): StoredMemory {
  const projection = Buffer.alloc(memory.projection.length * 4)
  memory.projection.forEach((x, i) => projection.writeFloatLE(x, i * 4))
  const vectors = Buffer.alloc(memory.vectors.length)
  memory.vectors.forEach((x, i) => vectors.writeInt8(Math.max(-INT8_SCALE, Math.min(INT8_SCALE, Math.round(x * INT8_SCALE))), i))
  return {
    components: memory.components,
    projection: projection.toString('base64'),
    vectors: vectors.toString('base64'),
    groups: Array.from(memory.groups)
  }
}
