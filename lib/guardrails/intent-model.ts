/**
 * A small linear classifier over the question's sentence vector (already computed for retrieval) and a few figures of how
 * close the question is to the corpus as a whole: the best vector and keyword scores of retrieval, the cosine to the
 * centroid of the policies' headings, the share of its words the policies use, and how many content words it has.
 * With a memory (intent-memory.ts), also the question's similarity to the nearest training sentence of each kind.
 * Multinomial logistic regression, trained on the dev split by tools/train-guardrails.ts and kept as a data file of
 * weights (index-data/intent-model.json). Scoring is five dot products of about 530 numbers, one of 512 and the memory's scan.
 */
import { readFileSync } from 'node:fs'
import { defaultIntentModelPath } from '../paths.js'
import { type IntentMemory, MEMORY_FEATURES, memoryFeatures, parseMemory, project } from './intent-memory.js'

export const INTENT_CLASSES = ['legit', 'injection', 'other_person_data', 'off_topic', 'non_english'] as const
export type IntentClass = (typeof INTENT_CLASSES)[number]

/** The classes that refuse a question when their probability reaches the model's threshold. */
export type RefusingIntent = Exclude<IntentClass, 'legit'>

export interface IntentModel {
  /** The embedding model whose vectors the weights were trained on (the model card's id). */
  embeddingModel: string
  dimensions: number
  /**
   * One row per class of INTENT_CLASSES: `dimensions` weights for the vector, then the EVIDENCE_FEATURES, then (with a
   * memory) the MEMORY_FEATURES, then the bias.
   */
  weights: number[][]
  /** Unit centroid of the corpus's heading vectors (`dimensions` numbers): the question's cosine to it is a feature. */
  centroid: number[]
  thresholds: Record<RefusingIntent, number>
  /** The training sentences' projected vectors; absent: the classifier sees the vector and the evidence only. */
  memory?: IntentMemory
  /** Titles of the policies it was trained on; absent: any. */
  corpus?: string[]
}

export interface IntentEvidence {
  /** Best cosine similarity from vector search (null: not run). */
  topSimilarity: number | null
  /** Best keyword score (null: nothing found). */
  topKeywordScore: number | null
  /** Share of the question's words (three letters or more) that the policies use (vocabularyCoverage); absent: 0. */
  coverage?: number
  /** How many content words the question has (contentTerms); absent: 0. */
  terms?: number
}

export interface IntentScore {
  label: IntentClass
  probability: number
}

// Keyword scores grow without bound on long questions; beyond this they say nothing more about the topic.
const KEYWORD_CAP = 30
const KEYWORD_SCALE = 20
const TERMS_CAP = 20
const TERMS_SCALE = 10

export const EVIDENCE_FEATURES = ['top_similarity', 'top_keyword_score', 'corpus_centroid', 'vocabulary_coverage', 'content_terms'] as const

/** The features after the vector, on a scale comparable to a unit vector's components. */
export function evidenceFeatures (model: Pick<IntentModel, 'centroid'>, vector: Float32Array, evidence: IntentEvidence): number[] {
  let centroid = 0
  for (let i = 0; i < vector.length; i++) centroid += (model.centroid[i] ?? 0) * (vector[i] as number)
  return [
    evidence.topSimilarity ?? 0,
    Math.min(evidence.topKeywordScore ?? 0, KEYWORD_CAP) / KEYWORD_SCALE,
    centroid,
    evidence.coverage ?? 0,
    Math.min(evidence.terms ?? 0, TERMS_CAP) / TERMS_SCALE
  ]
}

/** Share of a question's words of three letters or more that `vocabulary` (the policies' lower-cased words) holds; 0 for none. */
export function vocabularyCoverage (question: string, vocabulary: ReadonlySet<string>): number {
  const words = (question.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 2)
  return words.length === 0 ? 0 : words.filter((w) => vocabulary.has(w)).length / words.length
}

/** Class probabilities (softmax), in the order of INTENT_CLASSES; null when the vector does not fit the model. */
export function intentProbabilities (model: IntentModel, vector: Float32Array, evidence: IntentEvidence): Float64Array | null {
  if (vector.length !== model.dimensions) return null
  const memory = model.memory
  const extra = evidenceFeatures(model, vector, evidence)
  if (memory !== undefined) extra.push(...memoryFeatures(memory, project(memory.projection, memory.components, vector)))
  const logits = new Float64Array(INTENT_CLASSES.length)
  for (let k = 0; k < logits.length; k++) {
    const w = model.weights[k] as number[]
    let sum = w[model.dimensions + extra.length] as number
    extra.forEach((x, j) => { sum += (w[model.dimensions + j] as number) * x })
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
  return p === null ? null : likeliestRefusal(model, p)
}

/** The class among `among` whose probability in `p` reaches its threshold (the likeliest if several do), or null. */
export function likeliestRefusal (
  model: IntentModel,
  p: Float64Array,
  among: readonly RefusingIntent[] = INTENT_CLASSES.filter((label): label is RefusingIntent => label !== 'legit')
): IntentScore | null {
  let best: IntentScore | null = null
  for (const label of among) {
    const probability = p[INTENT_CLASSES.indexOf(label)] as number
    if (probability >= model.thresholds[label] && (best === null || probability > best.probability)) best = { label, probability }
  }
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
  const memory = m.memory === undefined ? undefined : parseMemory(m.memory, dimensions)
  const width = dimensions + EVIDENCE_FEATURES.length + (memory === undefined ? 0 : MEMORY_FEATURES.length) + 1
  if (!Array.isArray(m.weights) || m.weights.length !== INTENT_CLASSES.length ||
    !m.weights.every((row) => Array.isArray(row) && row.length === width && row.every((x) => Number.isFinite(x)))) {
    throw new Error(`intent model: weights must be ${INTENT_CLASSES.length} rows of ${width} finite numbers`)
  }
  if (!Array.isArray(m.centroid) || m.centroid.length !== dimensions || !m.centroid.every((x) => Number.isFinite(x))) {
    throw new Error(`intent model: centroid must be ${dimensions} finite numbers`)
  }
  const corpus = m.corpus
  if (corpus !== undefined && !(Array.isArray(corpus) && corpus.every((t) => typeof t === 'string'))) {
    throw new Error('intent model: corpus must be a list of policy titles')
  }
  const thresholds = m.thresholds as Record<string, unknown> | undefined
  for (const label of INTENT_CLASSES.slice(1)) {
    const t = thresholds?.[label]
    if (typeof t !== 'number' || !(t > 0 && t <= 1)) throw new Error(`intent model: threshold for ${label} must be in (0, 1]`)
  }
  return {
    embeddingModel: m.embeddingModel,
    dimensions,
    weights: m.weights,
    centroid: m.centroid,
    thresholds: thresholds as Record<RefusingIntent, number>,
    ...(memory === undefined ? {} : { memory }),
    ...(corpus === undefined ? {} : { corpus })
  }
}

/** Reads and checks a weights file. */
export function loadIntentModel (path: string): IntentModel {
  return parseIntentModel(JSON.parse(readFileSync(path, 'utf8')))
}

/**
 * The trained weights shipped with the service (tools/train-guardrails.ts writes them). Read as a file rather than
 * imported: an imported JSON module, and the start-up snapshot's script, would keep the whole text (base64 and all)
 * in the heap for the life of the process; only the parsed arrays stay.
 */
export const INTENT_MODEL: IntentModel = loadIntentModel(defaultIntentModelPath)
