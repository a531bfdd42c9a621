/**
 * The semantic layer beside the rules: the question's sentence vector (already computed for retrieval)
 * against banks of exemplar sentences by category. Vectors are L2-normalised, so a dot product is the cosine.
 */
import { quantizeInt8, rowDots } from '../embedding/l2.js'

/** Sentences of one kind, embedded once; row i of `vectors` is sentence i. */
export interface VectorBank {
  readonly dimensions: number
  readonly size: number
  /** Row i × steps[i] is sentence i's vector: int8 keeps a bank at a quarter of the floats' memory. */
  readonly vectors: Int8Array
  readonly steps: Float32Array
  readonly labels: readonly string[]
}

export interface Nearest {
  score: number
  /** The label of the closest sentence (its category or kind), '' when the bank is empty. */
  label: string
}

export type EmbedTexts = (texts: string[]) => Promise<Float32Array[]>

// Inference holds the event loop, so a bank is built a few sentences at a time with a turn of the loop between them:
// the service keeps answering (and under-pressure keeps seeing a responsive loop) while it builds.
const BUILD_BATCH = 4

export async function buildBank (
  entries: ReadonlyArray<{ label: string, text: string }>,
  embed: EmbedTexts,
  signal?: AbortSignal
): Promise<VectorBank> {
  const vectors: Float32Array[] = []
  for (let i = 0; i < entries.length; i += BUILD_BATCH) {
    signal?.throwIfAborted()
    vectors.push(...await embed(entries.slice(i, i + BUILD_BATCH).map((e) => e.text)))
    await new Promise((resolve) => setImmediate(resolve))
  }
  const dimensions = vectors[0]?.length ?? 0
  const flat = new Int8Array(dimensions * vectors.length)
  const steps = Float32Array.from(vectors, (v, i) => quantizeInt8(v, flat, i * dimensions))
  return { dimensions, size: vectors.length, vectors: flat, steps, labels: entries.map((e) => e.label) }
}

/** The closest sentence of the bank to `query` (a unit vector of the bank's dimensions). */
export function nearest (bank: VectorBank, query: Float32Array): Nearest {
  if (bank.size === 0 || query.length !== bank.dimensions) return { score: Number.NEGATIVE_INFINITY, label: '' }
  const scores = rowDots(bank.vectors, query, new Float64Array(bank.size))
  let at = 0
  for (let row = 0; row < bank.size; row++) {
    scores[row] = (scores[row] as number) * (bank.steps[row] as number)
    if ((scores[row] as number) > (scores[at] as number)) at = row
  }
  return { score: scores[at] as number, label: bank.labels[at] ?? '' }
}
