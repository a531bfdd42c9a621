/**
 * A small linear classifier over the question's sentence vector (already computed for retrieval) and two retrieval
 * figures: multinomial logistic regression, trained on the dev split by tools/train-guardrails.ts and kept as a data file
 * of weights (intent-model.json). Scoring is five dot products of 515 numbers: a few microseconds.
 */
import trainedWeights from './intent-model.json' with { type: 'json' }

export const INTENT_CLASSES = ['legit', 'injection', 'other_person_data', 'off_topic', 'non_english'] as const
export type IntentClass = (typeof INTENT_CLASSES)[number]

/** The classes that refuse a question when their probability reaches the model's threshold. */
export type RefusingIntent = Exclude<IntentClass, 'legit'>

export interface IntentModel {
  /** The embedding model whose vectors the weights were trained on (the model card's id). */
  embeddingModel: string
  dimensions: number
  /** One row per class of INTENT_CLASSES: `dimensions` weights for the vector, then the retrieval features, then the bias. */
  weights: number[][]
  thresholds: Record<RefusingIntent, number>
}

export interface IntentEvidence {
  /** Best cosine similarity from vector search (null: not run). */
  topSimilarity: number | null
  /** Best keyword score (null: nothing found). */
  topKeywordScore: number | null
}

export interface IntentScore {
  label: IntentClass
  probability: number
}

// Keyword scores grow without bound on long questions; beyond this they say nothing more about the topic.
const KEYWORD_CAP = 30
const KEYWORD_SCALE = 20

/** The features after the vector: what retrieval found, on a scale comparable to a unit vector's components. */
export function evidenceFeatures (evidence: IntentEvidence): [number, number] {
  return [evidence.topSimilarity ?? 0, Math.min(evidence.topKeywordScore ?? 0, KEYWORD_CAP) / KEYWORD_SCALE]
}

/** Class probabilities (softmax), in the order of INTENT_CLASSES; null when the vector does not fit the model. */
export function intentProbabilities (model: IntentModel, vector: Float32Array, evidence: IntentEvidence): Float64Array | null {
  if (vector.length !== model.dimensions) return null
  const extra = evidenceFeatures(evidence)
  const logits = new Float64Array(INTENT_CLASSES.length)
  for (let k = 0; k < logits.length; k++) {
    const w = model.weights[k] as number[]
    let sum = (w[model.dimensions] as number) * extra[0] + (w[model.dimensions + 1] as number) * extra[1] +
      (w[model.dimensions + 2] as number)
    for (let i = 0; i < model.dimensions; i++) sum += (w[i] as number) * (vector[i] as number)
    logits[k] = sum
  }
  return softmax(logits)
}

export function softmax (logits: Float64Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY
  for (const z of logits) max = Math.max(max, z)
  let total = 0
  const out = logits.map((z) => {
    const e = Math.exp(z - max)
    total += e
    return e
  })
  return out.map((e) => e / total)
}

/** The refusing class whose probability reaches its threshold (the likeliest if several do), or null. */
export function refusingIntent (model: IntentModel, vector: Float32Array, evidence: IntentEvidence): IntentScore | null {
  const p = intentProbabilities(model, vector, evidence)
  if (p === null) return null
  let best: IntentScore | null = null
  INTENT_CLASSES.forEach((label, k) => {
    if (label === 'legit') return
    const probability = p[k] as number
    if (probability >= model.thresholds[label] && (best === null || probability > best.probability)) best = { label, probability }
  })
  return best
}

/** Checks a parsed weights file; throws with what is wrong rather than scoring with a malformed model. */
export function parseIntentModel (value: unknown): IntentModel {
  const m = value as Partial<IntentModel> | null
  if (typeof m !== 'object' || m === null) throw new Error('intent model: not an object')
  if (typeof m.embeddingModel !== 'string' || !Number.isInteger(m.dimensions) || (m.dimensions ?? 0) <= 0) {
    throw new Error('intent model: embeddingModel and dimensions are required')
  }
  const dimensions = m.dimensions as number
  if (!Array.isArray(m.weights) || m.weights.length !== INTENT_CLASSES.length ||
    !m.weights.every((row) => Array.isArray(row) && row.length === dimensions + 3 && row.every((x) => Number.isFinite(x)))) {
    throw new Error(`intent model: weights must be ${INTENT_CLASSES.length} rows of ${dimensions + 3} finite numbers`)
  }
  const thresholds = m.thresholds as Record<string, unknown> | undefined
  for (const label of INTENT_CLASSES.slice(1)) {
    const t = thresholds?.[label]
    if (typeof t !== 'number' || !(t > 0 && t <= 1)) throw new Error(`intent model: threshold for ${label} must be in (0, 1]`)
  }
  return { embeddingModel: m.embeddingModel, dimensions, weights: m.weights, thresholds: thresholds as Record<RefusingIntent, number> }
}

/** The trained weights shipped with the service (tools/train-guardrails.ts writes them). */
export const INTENT_MODEL: IntentModel = parseIntentModel(trainedWeights)
