import t from 'tap'
import { readFileSync } from 'node:fs'
import {
  EVIDENCE_FEATURES,
  INTENT_CLASSES,
  INTENT_MODEL,
  type IntentModel,
  intentProbabilities,
  parseIntentModel,
  refusingIntent,
  softmax,
  vocabularyCoverage
} from '../../../lib/guardrails/intent-model.js'

// A model over 2-d vectors whose class k responds to feature k: handy to reason about by hand.
function toyModel (
  thresholds: IntentModel['thresholds'] = { injection: 0.6, other_person_data: 0.6, off_topic: 0.6, non_english: 0.6 }
): IntentModel {
  const row = (a: number, b: number, bias = 0): number[] => [a, b, ...EVIDENCE_FEATURES.map(() => 0), bias]
  return {
    embeddingModel: 'toy',
    dimensions: 2,
    thresholds,
    weights: [row(0, 0), row(10, 0), row(0, 10), row(-10, -10), row(0, 0, -5)],
    centroid: [Math.SQRT1_2, Math.SQRT1_2]
  }
}

t.test('softmax gives probabilities that sum to one, even for large logits', async (t) => {
  const p = softmax(Float64Array.from([1000, 1001, 999]))
  t.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12)
  t.ok((p[1] as number) > (p[0] as number) && (p[0] as number) > (p[2] as number))
})

t.test('a class refuses only when its probability reaches its threshold', async (t) => {
  const model = toyModel()
  const none = { topSimilarity: null, topKeywordScore: null }
  t.same(refusingIntent(model, Float32Array.from([1, 0]), none)?.label, 'injection')
  t.same(refusingIntent(model, Float32Array.from([0, 1]), none)?.label, 'other_person_data')
  t.same(refusingIntent(model, Float32Array.from([-1, -1]), none)?.label, 'off_topic')
  t.equal(refusingIntent(model, Float32Array.from([0.05, 0.05]), none), null, 'nothing likely enough')
  t.equal(
    refusingIntent(toyModel({ injection: 1, other_person_data: 1, off_topic: 1, non_english: 1 }), Float32Array.from([1, 0]), none),
    null,
    'a threshold of 1 never refuses'
  )
  t.equal(intentProbabilities(model, Float32Array.from([1, 0, 0]), none), null, 'a vector of another size is not scored')
})

t.test('the retrieval evidence is a feature: keyword scores are capped', async (t) => {
  const model = toyModel()
  model.weights[0] = [0, 0, 0, 1, 0, 0, 0, 0]
  const p = (kw: number): number => intentProbabilities(
    model,
    Float32Array.from([0, 0]),
    { topSimilarity: 0.5, topKeywordScore: kw }
  )?.[0] as number
  t.ok(p(20) > p(0))
  t.equal(p(30), p(300))
})

t.test('closeness to the corpus is a feature: the centroid cosine, the vocabulary coverage, the content words', async (t) => {
  const model = toyModel()
  const legit = (feature: number, evidence: { coverage?: number, terms?: number }, vector = [0, 0]): number => {
    model.weights[0] = [0, 0, ...EVIDENCE_FEATURES.map((_, j) => (j === feature ? 1 : 0)), 0]
    return intentProbabilities(model, Float32Array.from(vector), { topSimilarity: null, topKeywordScore: null, ...evidence })?.[0] as number
  }
  t.ok(legit(2, {}, [Math.SQRT1_2, Math.SQRT1_2]) > legit(2, {}, [Math.SQRT1_2, -Math.SQRT1_2]), 'closer to the centroid')
  t.ok(legit(3, { coverage: 1 }) > legit(3, { coverage: 0 }), 'more words the policies use')
  t.equal(legit(4, { terms: 20 }), legit(4, { terms: 200 }), 'content words are capped')
  const vocabulary = new Set(['vacation', 'days', 'carry', 'over'])
  t.equal(vocabularyCoverage('Can I carry over vacation days?', vocabulary), 0.8, '"I" does not count, "can" does')
  t.equal(vocabularyCoverage('Best pasta carbonara recipe?', vocabulary), 0)
  t.equal(vocabularyCoverage('?!', vocabulary), 0, 'no words, no coverage')
})

t.test('malformed weights are rejected with what is wrong', async (t) => {
  const good = toyModel()
  t.throws(() => parseIntentModel(null), /not an object/)
  t.throws(() => parseIntentModel({ ...good, dimensions: 0 }), /dimensions/)
  t.throws(() => parseIntentModel({ ...good, weights: good.weights.slice(1) }), /rows/)
  t.throws(() => parseIntentModel({ ...good, weights: [...good.weights.slice(1), [0, 0, 0, 0, 0, 0, 0, Number.NaN]] }), /finite/)
  t.throws(() => parseIntentModel({ ...good, weights: good.weights.map((w) => w.slice(1)) }), /rows of 8/)
  t.throws(() => parseIntentModel({ ...good, centroid: [1] }), /centroid/)
  t.throws(() => parseIntentModel({ ...good, thresholds: { ...good.thresholds, off_topic: 0 } }), /off_topic/)
  t.same(parseIntentModel(good), good)
})

t.test('the shipped weights fit the shipped embedding model', async (t) => {
  const card = JSON.parse(readFileSync('models/use-lite/model-card.json', 'utf8')) as { id: string, dimensions: number }
  t.equal(INTENT_MODEL.embeddingModel, card.id)
  t.equal(INTENT_MODEL.dimensions, card.dimensions)
  t.equal(INTENT_MODEL.weights.length, INTENT_CLASSES.length)
  for (const label of ['injection', 'other_person_data', 'off_topic', 'non_english'] as const) t.ok(
    INTENT_MODEL.thresholds[label] >= 0.5,
    `${label} refuses only as the likeliest class`
  )
})
