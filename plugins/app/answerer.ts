import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { performance } from 'node:perf_hooks'
import fp from 'fastify-plugin'
import { answerQuestion, type ChatAnswer, type ChatDeps, type LlmPort } from '../../lib/answer/chat.js'
import type { CondenseOutcome } from '../../lib/answer/condense.js'
import type { Turn } from '../../schemas/chat.js'
import type { LlmClient } from '../../lib/llm/client.js'
import { isLlmError } from '../../lib/llm/errors.js'
import { counter, histogram, stateGauge } from '../../lib/ops/metric.js'
import { SYSTEM_PROMPT } from '../../lib/answer/prompt.js'
import { buildSemanticBanks, corpusHeadings, type SemanticBanks } from '../../lib/guardrails/index.js'
import { policyDocuments, type VectorStore } from '../../lib/search/vector-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    answerer: Answerer
  }
}

export interface AnswerRequest {
  question: string
  history: Turn[]
  topK: number
  signal: AbortSignal
  onToken?: (text: string) => void | Promise<void>
  /** The request's logger, for why an LLM call failed (default: the app's). */
  log?: FastifyBaseLogger
}

export interface Answerer {
  /** A 400-worthy problem with the question's characters or size, or null (skipped when guardrails are off). */
  textProblem(question: string, history: readonly Turn[]): string | null
  answer(request: AnswerRequest): Promise<ChatAnswer>
}

/** Off-topic evidence thresholds, tuned on eval/questions.jsonl and the guardrails fixtures. */
export const OFF_TOPIC_THRESHOLDS = { vector: 0.25, keyword: 4 }
const MAX_ANSWER_CHARS = 2000
/** The refusal users see when the policies do not answer (the LLM's own decline is prompt.ts's LLM_DECLINE). */
const NO_ANSWER = 'I could not find this in the company policies. Try rephrasing, or ask HR (hr@harbourline.example) directly.'

/**
 * Answers questions: wires the guardrails (lib/guardrails), the retriever, the embedder and the
 * LLM (fastify.llm) into lib/answer/chat's pipeline, and counts the outcomes for /metrics and /stats.
 */
export default fp(async function answerer (fastify) {
  const guardrails = fastify.guardrails
  const level = guardrails.level
  const llmSeconds = histogram({
    name: 'llm_request_duration_seconds',
    help: 'Time spent waiting for the LLM per answer, by outcome',
    labelNames: ['outcome'],
    buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60]
  })
  const breakerStates = { closed: 0, half_open: 0.5, open: 1 }
  stateGauge('llm_circuit_state', 'LLM circuit breaker: 0 closed (or no LLM), 0.5 half-open, 1 open', () =>
    breakerStates[fastify.llm.client?.breaker.state ?? 'closed'])
  const screenContext = lazyScreenContext(fastify)
  const llmFailures = counter({
    name: 'llm_failures_total',
    help: 'LLM answers that fell back to extractive, by reason',
    labelNames: ['reason']
  })
  const condensations = counter({
    name: 'llm_condense_total',
    help: 'Follow-ups the LLM was asked to rewrite as standalone questions for retrieval, by outcome: rewritten, or why the ' +
      'follow-up was retrieved with the previous turn instead',
    labelNames: ['outcome']
  })
  const promptTokens = counter({ name: 'llm_prompt_tokens_total', help: 'Prompt tokens the LLM provider reported for answers it gave' })
  const completionTokens = counter({
    name: 'llm_completion_tokens_total',
    help: 'Completion tokens the LLM provider reported for answers it gave'
  })

  const deps: ChatDeps = {
    checkInput (question, history) {
      const result = guardrails.checkInput({ question, history })
      return {
        question: result.question,
        history: result.history,
        pii_redacted: result.findings.pii_redacted,
        injection: result.findings.injection,
        ...(result.refuse ? { refusal: { reason: result.refuse.reason, answer: result.refuse.answer } } : {})
      }
    },
    screen (e) {
      const input = { question: e.question, vector: e.queryVector, topSimilarity: e.topSimilarity, topKeywordScore: e.topKeywordScore }
      const result = guardrails.screen(input, screenContext.current(), OFF_TOPIC_THRESHOLDS)
      // Nothing retrieved at all is "not found", not off-topic.
      if (result === null || (result.reason === 'off_topic' && e.results === 0)) return null
      return { reason: result.reason, answer: guardrails.refusalAnswer(result.reason) }
    },
    noAnswer: NO_ANSWER,
    checkOutput (answer, sourcesText) {
      if (level === 'off') return { answer, pii_redacted: [], replaced: false }
      const result = guardrails.checkOutput({ answer, sourcesText, systemPrompt: SYSTEM_PROMPT, maxChars: MAX_ANSWER_CHARS })
      return { answer: result.answer, pii_redacted: result.pii_redacted, replaced: result.leaked_system_prompt }
    },
    retrieve: async (question, topK) => fastify.retriever.retrieve({ query: question, topK, mode: 'hybrid' }),
    embed: async (texts) => fastify.embedder.embed(texts),
    vocabulary: () => fastify.retriever.store()?.vocabulary(),
    embedPassageUnits: async (texts) => storedOrEmbedded(fastify.retriever.store()?.unitVectors(texts) ?? texts.map(() => undefined), texts,
      async (missing) => fastify.embedder.embed(missing)),
    canEmbed: () => fastify.embedder.status() !== 'unavailable',
    llm: fastify.llm.client === null ? null : llmPort(fastify.llm.client, () => fastify.llm.status() === 'operational'),
    condenseTimeoutMs: fastify.config.LLM_CONDENSE_TIMEOUT_MS,
    streamLive: level !== 'strict',
    streamGuard: (sourcesText) =>
      guardrails.streamOutput({ sourcesText, systemPrompt: SYSTEM_PROMPT, maxChars: MAX_ANSWER_CHARS }) ?? passThrough,
    embeddingModel: fastify.embedder.card.id
  }

  fastify.decorate('answerer', {
    textProblem (question, history) {
      const problem = guardrails.validateText(question, { maxLength: 2000 }, 'question') ??
        history.map((turn, i) => guardrails.validateText(turn.content, { maxLength: 4000 }, `history[${i}].content`))
          .find((p) => p !== null) ?? null
      return problem?.message ?? null
    },
    async answer (request) {
      const log = request.log ?? fastify.log
      screenContext.warm()
      const result = await answerQuestion(deps, {
        ...request,
        onLlmError: (err) => logLlmFailure(log, err),
        onCondense: (outcome) => {
          condensations.inc({ outcome: 'rewritten' in outcome ? 'rewritten' : outcome.fallback })
          logCondenseFallback(log, outcome)
        }
      })
      screenContext.warm()
      if (result.timings_ms.llm > 0) llmSeconds.observe(
        { outcome: result.mode === 'llm' ? 'answered' : 'fell_back' },
        result.timings_ms.llm / 1000
      )
      if (result.reason?.startsWith('llm_') === true) llmFailures.inc({ reason: result.reason.slice(4) })
      promptTokens.inc(result.usage.prompt_tokens)
      completionTokens.inc(result.usage.completion_tokens)
      if (result.reason === 'llm_uncited') guardrails.record('output_uncited')
      if (!result.guardrails.output.citations_valid) guardrails.record('output_invalid_citations')
      fastify.usageStats.recordAnswer({
        mode: result.mode,
        ...(result.mode === 'refused' && result.reason !== undefined ? { refusalReason: result.reason } : {}),
        citedDocumentIds: result.citations.map((c) => c.document_id)
      })
      return result
    }
  })
}, { name: 'answerer', dependencies: ['config', 'embedder', 'guardrails', 'llm', 'retriever', 'usage-stats'] })

const passThrough = { push: (text: string) => text, end: () => '', stopped: false }

interface ScreenContext {
  banks: SemanticBanks | null
  corpusWords: ReadonlySet<string>
}

interface LazyScreenContext {
  /** Reads the policies' vocabulary, and starts building the banks once the model is loaded; never waits for them. */
  warm(): void
  /** The banks when built (null until then, or without a model: the rules decide alone) and the policies' vocabulary. */
  current(): ScreenContext
}

/**
 * The semantic guardrail banks (exemplars and the corpus's headings) and the policies' vocabulary, built again after a
 * reload swaps the index. The banks are embedded in the background once the first question has loaded the model
 * (seconds on a busy machine), so no answer waits for them; until they are ready, and without an embedding model, the
 * rules decide alone.
 */
function lazyScreenContext (fastify: FastifyInstance): LazyScreenContext {
  const none: ScreenContext = { banks: null, corpusWords: new Set() }
  // One entry per store: what the screen uses now; the banks arrive when built (a failed build is not retried).
  const byStore = new WeakMap<VectorStore, ScreenContext>()
  const closing = new AbortController()
  fastify.addHook('onClose', async () => { closing.abort() })
  const build = async (
    store: VectorStore, documents: Array<{ title: string, markdown: string }>, context: ScreenContext
  ): Promise<void> => {
    try {
      const started = performance.now()
      const banks = await buildSemanticBanks(async (texts) => fastify.embedder.embed(texts), corpusHeadings(documents), closing.signal)
      byStore.set(store, { ...context, banks })
      fastify.log.info(
        {
          exemplars: banks.injection.size + banks.otherPerson.size + banks.offTopic.size + banks.legit.size,
          headings: banks.corpus.size,
          ms: Math.round(performance.now() - started)
        },
        'semantic guardrails ready'
      )
    } catch (err) {
      if (!closing.signal.aborted) fastify.log.warn({ err }, 'semantic guardrails unavailable: the rules decide alone')
    }
  }
  const started = new WeakSet<VectorStore>()
  return {
    warm () {
      const store = fastify.retriever.store()
      if (store === undefined || fastify.guardrails.level === 'off') return
      let context = byStore.get(store)
      if (context === undefined) byStore.set(store, context = { banks: null, corpusWords: store.vocabulary() })
      // Only once a question has loaded the model: loading it here would stall the loop inside the first answer.
      if (started.has(store) || fastify.embedder.status() !== 'operational') return
      started.add(store)
      void build(store, policyDocuments(store), context)
    },
    current: () => {
      const store = fastify.retriever.store()
      return (store === undefined ? undefined : byStore.get(store)) ?? none
    }
  }
}

/** LlmError messages are already scrubbed of the API key by the client; anything else is a bug worth its stack. */
function logLlmFailure (log: FastifyBaseLogger, err: unknown): void {
  if (!isLlmError(err)) {
    log.error({ err }, 'LLM answer failed unexpectedly; answering extractively')
    return
  }
  // circuit_open only races a probe in flight; the breaker logs its own state changes.
  const level = err.kind === 'circuit_open' ? 'debug' : 'warn'
  log[level](
    { llm_error: err.kind, ...(err.status === undefined ? {} : { llm_status: err.status }) },
    `LLM call failed; answering extractively: ${err.message}`
  )
}

/** Without the question or the reply (user text) and without the error's message (a provider may quote the prompt). */
function logCondenseFallback (log: FastifyBaseLogger, outcome: CondenseOutcome): void {
  if ('rewritten' in outcome) return
  const err = outcome.error
  const provider = isLlmError(err) && ['timeout', 'http', 'network', 'malformed', 'too_large'].includes(err.kind)
  const status = isLlmError(err) && err.status !== undefined ? { llm_status: err.status } : {}
  const unexpected = err !== undefined && !isLlmError(err)
  log[provider || unexpected ? 'warn' : 'debug'](
    { condense: outcome.fallback, ...status, ...(unexpected ? { err } : {}) },
    'follow-up not rewritten by the LLM; retrieving it with the previous turn'
  )
}

function llmPort (client: LlmClient, available: () => boolean): LlmPort {
  return {
    model: client.model,
    available,
    complete: async (messages, signal, options) => client.complete({ messages, signal, ...options }),
    stream: (messages, signal) => client.stream({ messages, signal })
  }
}

/** Stored vectors where the index has them; the rest embedded in one batch. */
async function storedOrEmbedded (stored: Array<Float32Array | undefined>, texts: readonly string[],
  embed: (texts: string[]) => Promise<Float32Array[]>): Promise<Float32Array[]> {
  const missing = texts.filter((_, i) => stored[i] === undefined)
  const embedded = missing.length === 0 ? [] : await embed(missing)
  let next = 0
  return stored.map((v) => v ?? embedded[next++] as Float32Array)
}
