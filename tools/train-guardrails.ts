/**
 * Trains the guardrails' intent classifier (lib/guardrails/intent-model.ts) on the dev split only, and writes its weights
 * to index-data/intent-model.json. Rows: the dev split of tools/eval-guardrails-splits.ts (labelled guardrail cases and
 * the dev half of eval/questions.jsonl), the exemplar file and the corpus's headings (as legitimate questions). Every row
 * goes through the service's own steps: the input rules, then hybrid retrieval for its vector and evidence.
 *
 * The thresholds are chosen out of sample by 5-fold cross-validation (seeded): the dev cases are dealt into five folds, each
 * fold is scored by a model trained on the other four (the exemplars and headings always train), and each class gets the
 * lowest threshold at which those out-of-fold scores refuse at most `--max-false` (1) of the legitimate ones. The
 * out-of-fold figures per group are printed. `--skip-groups x` leaves a group of cases out entirely (x: the extra dev file).
 * The classifier's memory (lib/guardrails/intent-memory.ts) holds every row's vector projected on `--components` (48) of
 * their principal axes; in cross-validation a held-out fold's sentences are out of it, and no sentence meets itself.
 * The test and holdout splits are never read. Usage: npm run train:guardrails [-- --dry-run]
 * [--dump rows.jsonl] (writes every row's vector and evidence features, for experiments such as leaving a batch out).
 */
import { writeFileSync } from 'node:fs'
import { relative } from 'node:path'
import { parseArgs } from 'node:util'
import { buildApp } from '../app.js'
import { indexedPolicies } from './lib/indexed-policies.js'
import { checkInput, corpusHeadings, corpusVocabulary, decisionOf, SEMANTIC_THRESHOLDS } from '../lib/guardrails/index.js'
import { defaultIntentModelPath } from '../lib/paths.js'
import { contentTerms } from '../lib/search/terms.js'
import {
  evidenceFeatures, INTENT_CLASSES, type IntentClass, type IntentEvidence, type IntentModel, type RefusingIntent, vocabularyCoverage
} from '../lib/guardrails/intent-model.js'
import exemplars from '../lib/guardrails/exemplars.json' with { type: 'json' }
import { readSplit } from './eval-guardrails-splits.js'
import { type Dataset, predict, train, type TrainOptions } from './lib/softmax-regression.js'
import { principalAxes } from './lib/principal-axes.js'
import {
  type IntentMemory, MEMORY_FEATURES, MEMORY_GROUPS, memoryFeatures, parseMemory, project, type StoredMemory, storeMemory
} from '../lib/guardrails/intent-memory.js'

const OUTPUT = defaultIntentModelPath
// Axes of the memory's projection: enough to keep each sentence's neighbours (48 did as well as 64 out of fold), few enough
// that scanning about 4,200 rows stays within the screen's 1 ms.
const MEMORY_COMPONENTS = 48
const THRESHOLD_GRID = Array.from({ length: 50 }, (_, i) => (50 + i) / 100)
const LEGIT_CATEGORIES = new Set(['legit', 'pii', 'pii_near_miss', 'eval_answerable'])

interface Row { text: string, label: IntentClass, group: string, heading?: true }

function labelOf (category: string): IntentClass | null {
  if (LEGIT_CATEGORIES.has(category)) return 'legit'
  return (INTENT_CLASSES as readonly string[]).includes(category) ? category as IntentClass : null
}

// Which batch a dev case came from: the eval questions, or the id's letter (the rule fixtures are g…, the guardrail dev
// file's batches d…, t…, m…, n…, the extra dev file x…).
function groupOf (id: string, category: string): string {
  return category.startsWith('eval_') ? 'eval' : id.slice(0, 1)
}

function rows (headings: string[]): Row[] {
  const out: Row[] = []
  for (const c of readSplit('dev')) {
    const label = labelOf(c.category)
    if (label !== null) out.push({ text: c.text, label, group: groupOf(c.id, c.category) })
  }
  const file = exemplars as {
    injection: Record<string, string[]>
    other_person_data: string[]
    off_topic: Record<string, string[]>
    legit: string[]
  }
  for (const text of Object.values(file.injection).flat()) out.push({ text, label: 'injection', group: 'exemplars' })
  for (const text of file.other_person_data) out.push({ text, label: 'other_person_data', group: 'exemplars' })
  for (const text of Object.values(file.off_topic).flat()) out.push({ text, label: 'off_topic', group: 'exemplars' })
  for (const text of file.legit) out.push({ text, label: 'legit', group: 'exemplars' })
  for (const text of headings) out.push({ text, label: 'legit', group: 'exemplars', heading: true })
  return out
}

function subset (data: Dataset, keep: (r: number) => boolean): Dataset {
  const idx = [...data.y.keys()].filter(keep)
  const x = new Float64Array(idx.length * data.features)
  idx.forEach((r, i) => x.set(data.x.subarray(r * data.features, (r + 1) * data.features), i * data.features))
  return { x, y: Int32Array.from(idx, (r) => data.y[r] as number), features: data.features }
}

const FOLDS = 5
const SEED = 22

// mulberry32: a tiny seeded generator, so the folds (and the thresholds) are the same on every run.
function seeded (seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Out-of-fold probabilities for every dev case (exemplars and headings are always trained on, never scored). `dataFor(f)`
 * gives the rows' features with fold f's sentences out of the memory.
 */
function outOfFold (dataFor: (inFold: (r: number) => boolean) => Dataset, groups: string[], options: TrainOptions): Float64Array {
  const K = options.classes
  const probs = new Float64Array(groups.length * K).fill(Number.NaN)
  const cases = [...groups.keys()].filter((r) => groups[r] !== 'exemplars')
  const random = seeded(SEED)
  for (let i = cases.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [cases[i], cases[j]] = [cases[j] as number, cases[i] as number]
  }
  const fold = new Map(cases.map((r, i) => [r, i % FOLDS]))
  for (let f = 0; f < FOLDS; f++) {
    const data = dataFor((r) => fold.get(r) === f)
    const weights = train(subset(data, (r) => fold.get(r) !== f), options)
    // In row order, as subset() keeps them.
    const held = [...groups.keys()].filter((r) => fold.get(r) === f)
    const p = predict(weights, subset(data, (r) => fold.get(r) === f), K)
    held.forEach((r, i) => probs.set(p.subarray(i * K, (i + 1) * K), r * K))
  }
  return probs
}

// As in the screen: a passage this close keeps a question on topic whatever the classifier says.
function strongEvidence (e: IntentEvidence): boolean {
  return (e.topSimilarity ?? 0) >= SEMANTIC_THRESHOLDS.offTopic.strongVector
}

function chooseThresholds (
  probs: Float64Array,
  labels: IntentClass[],
  evidence: IntentEvidence[],
  maxFalse: number
): Record<RefusingIntent, number> {
  const K = INTENT_CLASSES.length
  const out = {} as Record<RefusingIntent, number>
  INTENT_CLASSES.forEach((label, k) => {
    if (label === 'legit') return
    const counts = (r: number): boolean => label !== 'off_topic' || !strongEvidence(evidence[r] as IntentEvidence)
    const refusedAt = (t: number, of: IntentClass): number =>
      labels.filter((l, r) => l === of && (probs[r * K + k] as number) >= t && counts(r)).length
    out[label] = THRESHOLD_GRID.find((t) => refusedAt(t, 'legit') <= maxFalse) ?? 1
    const total = labels.filter((l) => l === label).length
    console.log(`${label} out of fold, threshold: legitimate refused / caught of ${total}: ` +
      THRESHOLD_GRID.filter((_, i) => i % 5 === 0 || i > 30).map((t) => `${t} ${refusedAt(t, 'legit')}/${refusedAt(t, label)}`).join(', '))
  })
  return out
}

function report (
  probs: Float64Array,
  labels: IntentClass[],
  groups: string[],
  evidence: IntentEvidence[],
  thresholds: Record<RefusingIntent, number>
): void {
  const K = INTENT_CLASSES.length
  const refused = (r: number): IntentClass | null => {
    let best: IntentClass | null = null
    let bestP = 0
    INTENT_CLASSES.forEach((label, k) => {
      const p = probs[r * K + k] as number
      if (label !== 'legit' && p >= thresholds[label] && p > bestP) { best = label; bestP = p }
    })
    return best === 'off_topic' && strongEvidence(evidence[r] as IntentEvidence) ? null : best
  }
  console.log('out-of-fold figures (classifier alone, each case scored by a model trained without its fold)\n' +
    '| group | class | rows | right |\n| --- | --- | --- | --- |')
  for (const group of [...new Set(groups)].filter((g) => g !== 'exemplars').sort()) {
    for (const label of INTENT_CLASSES) {
      const idx = [...labels.keys()].filter((r) => groups[r] === group && labels[r] === label)
      if (idx.length === 0) continue
      const right = idx.filter((r) => label === 'legit' ? refused(r) === null : refused(r) === label).length
      console.log(`| ${group} | ${label} | ${idx.length} | ${right} (${((100 * right) / idx.length).toFixed(1)} %) |`)
    }
  }
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      'dry-run': { type: 'boolean', default: false },
      'max-false': { type: 'string', default: '1' },
      'skip-groups': { type: 'string', default: '' },
      components: { type: 'string', default: String(MEMORY_COMPONENTS) },
      iterations: { type: 'string', default: '500' },
      'learning-rate': { type: 'string', default: '0.05' },
      dump: { type: 'string' }
    }
  })
  const options: TrainOptions = {
    classes: INTENT_CLASSES.length,
    l2: 3e-4,
    iterations: Number(values.iterations),
    learningRate: Number(values['learning-rate']),
    classBalance: 0.5
  }
  const app = await buildApp({ env: {}, logger: false, config: { RATE_LIMIT_MAX: 0 } })
  try {
    await app.ready()
    const documents = indexedPolicies(app)
    const headings = corpusHeadings(documents)
    const corpusWords = corpusVocabulary(documents.map((d) => d.markdown))
    const centroid = unitMean(await app.embedder.embed(headings))
    const skipped = new Set(values['skip-groups'].split(',').filter((g) => g !== ''))
    const vectors: number[][] = []
    const queryVectors: Float32Array[] = []
    const headingRows = new Set<number>()
    const labels: IntentClass[] = []
    const groups: string[] = []
    const evidence: IntentEvidence[] = []
    const texts: string[] = []
    let dimensions = 0
    for (const row of rows(headings).filter((r) => !skipped.has(r.group))) {
      const checked = checkInput({ question: row.text }, 'standard')
      // A stripped question is a clean policy question by then: the rules have dealt with it.
      if (decisionOf(checked) === 'strip') continue
      const r = await app.retriever.retrieve({ query: checked.question, topK: 5, mode: 'hybrid' })
      if (r.queryVector === null) throw new Error('no query vector: the embedding model is unavailable')
      dimensions = r.queryVector.length
      const features = evidenceFeatures({ centroid }, r.queryVector, {
        ...r, coverage: vocabularyCoverage(checked.question, corpusWords), terms: contentTerms(checked.question).size
      })
      if (row.heading === true) headingRows.add(labels.length)
      vectors.push([...r.queryVector, ...features])
      queryVectors.push(r.queryVector)
      labels.push(row.label)
      groups.push(row.group)
      texts.push(row.text)
      evidence.push({ topSimilarity: r.topSimilarity, topKeywordScore: r.topKeywordScore })
    }
    if (values.dump !== undefined) dumpRows(values.dump, { vectors, labels, groups, texts, headings: headingRows })
    const memory = buildMemory(queryVectors, labels, headingRows, Number(values.components))
    const projected = queryVectors.map((v) => project(memory.memory.projection, memory.memory.components, v))
    const y = Int32Array.from(labels, (l) => INTENT_CLASSES.indexOf(l))
    const features = (vectors[0] ?? []).length + MEMORY_FEATURES.length + 1
    // A sentence never meets itself in the memory, nor a held-out fold its own sentences.
    const dataFor = (held: (r: number) => boolean): Dataset => ({
      x: Float64Array.from(vectors.flatMap((base, r) => [
        ...base,
        ...memoryFeatures(memory.memory, projected[r] as Float32Array, (m) => {
          const owner = memory.owners[m] as number
          return owner === r || held(owner)
        }),
        1
      ])),
      y,
      features
    })
    console.log(`rows: ${labels.length} (${INTENT_CLASSES.map((c) => `${c} ${labels.filter((l) => l === c).length}`).join(', ')}), ` +
      `memory: ${memory.owners.length} rows of ${memory.memory.components} components`)
    const probs = outOfFold(dataFor, groups, options)
    const thresholds = chooseThresholds(probs, labels, evidence, Number(values['max-false']))
    console.log(`thresholds: ${JSON.stringify(thresholds)}`)
    report(probs, labels, groups, evidence, thresholds)
    if (values['dry-run']) return
    const weights = train(dataFor(() => false), options)
    const model: Omit<IntentModel, 'memory'> & { about: string, trained: Record<string, unknown>, memory: StoredMemory } = {
      about: 'Weights of the guardrails\' intent classifier (lib/guardrails/intent-model.ts), ' +
        'written by tools/train-guardrails.ts from the dev split only.',
      embeddingModel: app.embedder.card.id,
      dimensions,
      thresholds,
      centroid: centroid.map((x) => Math.round(x * 1e6) / 1e6),
      memory: memory.stored,
      corpus: documents.map((d) => d.title),
      trained: { rows: labels.length, options },
      weights: INTENT_CLASSES.map((_, k) =>
        Array.from(weights.subarray(k * features, (k + 1) * features), (w) => Math.round(w * 1e5) / 1e5))
    }
    writeFileSync(OUTPUT, JSON.stringify(model) + '\n')
    console.log(`wrote ${relative(process.cwd(), OUTPUT)}`)
  } finally {
    await app.close()
  }
}

/**
 * The memory of every row but the other languages' (too few to stand for them): headings as headings, the rest by class,
 * projected on the rows' principal axes, and read back from its stored (int8) form so training sees what the service will.
 */
function buildMemory (
  vectors: Float32Array[],
  labels: IntentClass[],
  headingRows: ReadonlySet<number>,
  components: number
): { memory: IntentMemory, stored: StoredMemory, owners: number[] } {
  const owners = [...labels.keys()].filter((r) => labels[r] !== 'non_english')
  const projection = principalAxes(vectors, components)
  const rows = new Float32Array(owners.length * components)
  owners.forEach((r, i) => rows.set(project(projection, components, vectors[r] as Float32Array), i * components))
  const groups = Uint8Array.from(owners, (r) => headingRows.has(r)
    ? MEMORY_GROUPS.indexOf('heading')
    : MEMORY_GROUPS.indexOf(labels[r] as (typeof MEMORY_GROUPS)[number]))
  const stored = storeMemory({ components, projection, vectors: rows, groups })
  return { memory: parseMemory(stored, vectors[0]?.length ?? 0), stored, owners }
}

// The rows' vectors and evidence features, one JSON object a line, for experiments outside this script (e.g. leaving a
// whole batch out): { text, label, group, heading, x } with x the vector then EVIDENCE_FEATURES.
function dumpRows (file: string, rows: {
  vectors: number[][], labels: IntentClass[], groups: string[], texts: string[], headings: ReadonlySet<number>
}): void {
  writeFileSync(file, rows.vectors.map((x, r) => JSON.stringify({
    text: rows.texts[r], label: rows.labels[r], group: rows.groups[r], heading: rows.headings.has(r), x
  })).join('\n') + '\n')
}

function unitMean (vectors: Float32Array[]): number[] {
  const sum = Array.from({ length: vectors[0]?.length ?? 0 }, (_, i) => vectors.reduce((a, v) => a + (v[i] as number), 0))
  const norm = Math.hypot(...sum) || 1
  return sum.map((x) => x / norm)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
