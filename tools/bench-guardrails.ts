/**
 * Micro-benchmark of the guardrail step after retrieval (lib/guardrails/screen.ts): language, other people's data, the
 * intent classifier and the exemplar banks, for questions whose vectors and retrieval evidence were computed beforehand,
 * so the figure is what the step adds beyond the embedding. Also times the input rules (checkInput) for comparison and the
 * one-off bank build.
 * The last line printed is one JSON object. Usage: npm run bench:guardrails [-- --rounds 20]
 */
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { buildApp } from '../app.js'
import { indexedPolicies } from './lib/indexed-policies.js'
import {
  buildSemanticBanks, checkInput, corpusHeadings, corpusVocabulary, INTENT_MODEL, refusingIntent, screenQuestion, type ScreenInput
} from '../lib/guardrails/index.js'
import { OFF_TOPIC_THRESHOLDS } from '../plugins/app/answerer.js'
import { readSplit } from './eval-guardrails-splits.js'

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20' } } })
  const rounds = Number(values.rounds)
  const app = await buildApp({ env: {}, logger: false, config: { RATE_LIMIT_MAX: 0 } })
  try {
    await app.ready()
    await app.embedder.embed(['warm up'])
    const documents = indexedPolicies(app)
    const buildStarted = performance.now()
    const banks = await buildSemanticBanks(async (texts) => app.embedder.embed(texts), corpusHeadings(documents))
    const buildMs = performance.now() - buildStarted
    const questions = [...readSplit('dev'), ...readSplit('test')].map((c) => c.text)
    const inputs: ScreenInput[] = []
    for (const question of questions) {
      const r = await app.retriever.retrieve({ query: question, topK: 5, mode: 'hybrid' })
      inputs.push({ question, vector: r.queryVector, topSimilarity: r.topSimilarity, topKeywordScore: r.topKeywordScore })
    }
    const settings = {
      level: 'standard' as const,
      banks,
      intent: INTENT_MODEL,
      corpusWords: corpusVocabulary(documents.map((d) => d.markdown)),
      offTopic: OFF_TOPIC_THRESHOLDS
    }
    const screenUs: number[] = []
    const rulesUs: number[] = []
    const classifierUs: number[] = []
    for (let round = 0; round < rounds; round++) {
      for (const input of inputs) {
        let t = performance.now()
        screenQuestion(input, settings)
        screenUs.push((performance.now() - t) * 1000)
        if (input.vector !== null) {
          t = performance.now()
          refusingIntent(INTENT_MODEL, input.vector, input)
          classifierUs.push((performance.now() - t) * 1000)
        }
        t = performance.now()
        checkInput({ question: input.question }, 'standard')
        rulesUs.push((performance.now() - t) * 1000)
      }
    }
    screenUs.sort((a, b) => a - b)
    rulesUs.sort((a, b) => a - b)
    classifierUs.sort((a, b) => a - b)
    const round = (x: number): number => Math.round(x)
    const result = {
      questions: inputs.length,
      rounds,
      screen_us: {
        p50: round(percentile(screenUs, 0.5)),
        p99: round(percentile(screenUs, 0.99)),
        mean: round(screenUs.reduce((a, b) => a + b, 0) / screenUs.length)
      },
      input_rules_us: { p50: round(percentile(rulesUs, 0.5)), p99: round(percentile(rulesUs, 0.99)) },
      classifier_us: { p50: round(percentile(classifierUs, 0.5)), p99: round(percentile(classifierUs, 0.99)) },
      bank_sentences: banks.injection.size + banks.otherPerson.size + banks.offTopic.size + banks.legit.size + banks.corpus.size,
      bank_build_ms: round(buildMs),
      budget_us: 1000
    }
    console.log(
      `screen after retrieval: p50 ${result.screen_us.p50} µs, p99 ${result.screen_us.p99} µs, ` +
      `mean ${result.screen_us.mean} µs per question ` +
      `(of which the intent classifier p50 ${result.classifier_us.p50} µs; input rules p50 ${result.input_rules_us.p50} µs); ` +
      `${result.bank_sentences} bank sentences embedded in ${result.bank_build_ms} ms`
    )
    console.log(JSON.stringify(result))
    // The median: on a shared machine the mean carries the scheduler's pauses (the input rules show the same tail).
    if (result.screen_us.p50 > result.budget_us) process.exitCode = 1
  } finally {
    await app.close()
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
