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
import {
  MEMORY_FEATURES,
  MEMORY_GROUPS,
  memoryFeatures,
  parseMemory,
  project,
  storeMemory
} from '../../../lib/guardrails/intent-memory.js'

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

// A memory over 2-d vectors kept whole (the identity projection): one sentence per group, at known angles.
function toyMemory (): ReturnType<typeof storeMemory> {
  const unit = (deg: number): number[] => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)]
  return storeMemory({
    components: 2,
    projection: Float32Array.from([1, 0, 0, 1]),
    vectors: Float32Array.from([...unit(90), ...unit(0), ...unit(180), ...unit(-90), ...unit(60)]),
    groups: Uint8Array.from([0, 1, 2, 3, 4])
  })
}

t.test('the memory gives the closest sentence of each group and the contrasts between them', async (t) => {
  const memory = parseMemory(toyMemory(), 2)
  t.same([...memory.groups], [0, 1, 2, 3, 4])
  const near = memoryFeatures(memory, project(memory.projection, 2, [3, 0]))
  t.equal(near.length, MEMORY_FEATURES.length)
  const [legit, injection, person, offTopic, heading, injectionMinusLegit, , , offTopicMinusHeading] = near as number[]
  t.ok(Math.abs((injection as number) - 1) < 0.01, 'projected to unit length, then the injection sentence is the closest')
  t.ok(Math.abs(legit as number) < 0.01 && Math.abs(offTopic as number) < 0.01 && Math.abs((person as number) + 1) < 0.01)
  t.ok(Math.abs((heading as number) - 0.5) < 0.01)
  t.ok(Math.abs((injectionMinusLegit as number) - 1) < 0.02)
  t.ok(Math.abs((offTopicMinusHeading as number) + 0.5) < 0.02)
  const without = memoryFeatures(memory, Float32Array.from([1, 0]), (row) => row === 1)
  t.equal(without[MEMORY_GROUPS.indexOf('injection')], -1, 'a group with every sentence left out scores -1')
})

t.test('a model with a memory scores by it, and a malformed memory is rejected', async (t) => {
  const model = toyModel()
  const width = 2 + EVIDENCE_FEATURES.length + MEMORY_FEATURES.length + 1
  const at = (feature: string): number => 2 + EVIDENCE_FEATURES.length + MEMORY_FEATURES.indexOf(feature as never)
  const memoryWeight = (feature: string, bias = 0): number[] =>
    [...Array.from({ length: width - 1 }, (_, j) => (j === at(feature) ? 20 : 0)), bias]
  const withMemory = parseIntentModel({
    ...model,
    memory: toyMemory(),
    weights: [memoryWeight('nearest_legit'), memoryWeight('nearest_injection'), memoryWeight('nearest_other_person_data'),
      memoryWeight('nearest_off_topic'), memoryWeight('nearest_heading', -100)]
  })
  const none = { topSimilarity: null, topKeywordScore: null }
  t.equal(refusingIntent(withMemory, Float32Array.from([1, 0.05]), none)?.label, 'injection')
  t.equal(refusingIntent(withMemory, Float32Array.from([0.05, -1]), none)?.label, 'off_topic')
  t.equal(refusingIntent(withMemory, Float32Array.from([0.05, 1]), none), null, 'near the legitimate sentence')
  t.throws(() => parseIntentModel({ ...model, memory: toyMemory() }), /rows of 17/, 'the weights must cover the memory features')
  t.throws(() => parseMemory({ ...toyMemory(), components: 3 }, 2), /components/)
  t.throws(() => parseMemory({ ...toyMemory(), groups: [0, 1, 2, 3] }, 2), /vectors/)
  t.throws(() => parseMemory({ ...toyMemory(), groups: [0, 1, 2, 3, 9] }, 2), /groups/)
  t.throws(() => parseMemory({ ...toyMemory(), projection: 'AAAA' }, 2), /projection/)
})

t.test('the shipped weights fit the shipped embedding model', async (t) => {
  const card = JSON.parse(readFileSync('models/use-lite/model-card.json', 'utf8')) as { id: string, dimensions: number }
  t.equal(INTENT_MODEL.embeddingModel, card.id)
  t.equal(INTENT_MODEL.dimensions, card.dimensions)
  t.equal(INTENT_MODEL.weights.length, INTENT_CLASSES.length)
  t.ok((INTENT_MODEL.memory?.groups.length ?? 0) > 1000, 'with the memory of its training sentences')
  for (const label of ['injection', 'other_person_data', 'off_topic', 'non_english'] as const) t.ok(
    INTENT_MODEL.thresholds[label] >= 0.5,
    `${label} refuses only as the likeliest class`
  )
})
