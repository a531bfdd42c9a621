/**
 * One question, start to finish: input guardrails → retrieval → off-topic check → LLM answer
 * with checked citations (or the extractive answer when there is no LLM, it fails, or its
 * answer fails the output checks) → output guardrails. Pure orchestration: every capability
 * comes in through ChatDeps, so the route stays thin and this is testable on its own.
 */
import { performance } from 'node:perf_hooks'
import { CitationStream, checkCitations } from './citations.js'
import { followUp } from './follow-up.js'
import { condenseFollowUp, type CompletionOptions, type CondenseOutcome } from './condense.js'
import { knownTo } from '../search/synonyms.js'
import { answerExtractively, type ExtractiveOptions, type Passage } from './extractive.js'
import { plainText } from '../corpus/markdown-text.js'
import { buildMessages, type PromptSource } from './prompt.js'
import type { RetrievedChunk, Retrieval } from '../search/retrieval.js'
import type { ChatMessage, LlmUsage } from '../llm/client.js'
import type { Turn } from '../../schemas/chat.js'

export type AnswerMode = 'llm' | 'extractive' | 'refused'

export interface InputVerdict {
  question: string
  history: Turn[]
  pii_redacted: string[]
  injection: boolean
  /** Set when the question must not be answered (injection, PII in strict mode, ...). */
  refusal?: { reason: string, answer: string }
}

export interface OutputVerdict { answer: string, pii_redacted: string[], replaced: boolean }

export interface LlmPort {
  readonly model: string
  available(): boolean
  complete(messages: ChatMessage[], signal: AbortSignal, options?: CompletionOptions):
    Promise<{ text: string, model: string, usage: LlmUsage }>
  stream(messages: ChatMessage[], signal: AbortSignal):
    AsyncIterable<{ type: 'token', text: string } | { type: 'done', model: string, usage: LlmUsage }>
}

export interface StreamGuard {
  push(text: string): string
  end(): string
  /** True once the answer was found repeating the system prompt. */
  readonly stopped: boolean
}

export interface ScreenEvidence {
  question: string
  /** The question's vector from retrieval, when vectors were used. */
  queryVector: Float32Array | null
  topSimilarity: number | null
  topKeywordScore: number | null
  results: number
}

export interface ChatDeps {
  checkInput(question: string, history: Turn[]): InputVerdict
  /** The guardrail step after retrieval (language, other people's data, injection by meaning, off-topic): a refusal, or null to answer. */
  screen(evidence: ScreenEvidence): { reason: string, answer: string } | null
  noAnswer: string
  /** Output checks on an LLM answer: PII not in the sources, a leaked system prompt, length. */
  checkOutput(answer: string, sourcesText: string): OutputVerdict
  retrieve(question: string, topK: number): Promise<Retrieval>
  embed(texts: string[]): Promise<Float32Array[]>
  /** The words the policies use (synonyms are added only for others). */
  vocabulary?: () => ReadonlySet<string> | undefined
  /** Vectors of passage units (the index stores them at build time); defaults to embed. */
  embedPassageUnits?: (texts: string[]) => Promise<Float32Array[]>
  /** False when the embedding model is unavailable: extractive answers then judge sentences by their words (default true). */
  canEmbed?: () => boolean
  llm: LlmPort | null
  /** Time limit for the LLM's rewrite of a follow-up into a standalone question for retrieval (condense.ts); 0 or absent: none. */
  condenseTimeoutMs?: number
  /** Tokens are streamed live unless guardrails must see the whole answer first (strict). */
  streamLive: boolean
  /** Output checks for live tokens (standard): redacts as they pass, stops on an echoed system prompt. */
  streamGuard?: (sourcesText: string) => StreamGuard
  extractive?: Partial<ExtractiveOptions>
  embeddingModel: string
}

export interface Citation {
  id: number
  chunk_id: string
  document_id: string
  document_title: string
  heading: string
  snippet: string
  version: string | null
  effective_date: string | null
  source_url: string | null
}

export interface ChatAnswer {
  answer: string
  mode: AnswerMode
  citations: Citation[]
  guardrails: {
    input: { pii_redacted: string[], injection: boolean, off_topic: boolean }
    output: { citations_valid: boolean, pii_redacted: string[] }
  }
  model: string
  usage: LlmUsage
  timings_ms: { retrieval: number, llm: number, total: number }
  /** Why the answer is not the LLM's when an LLM is configured (e.g. `llm_timeout`), or why it was refused. */
  reason?: string
}

export interface ChatRequest {
  question: string
  history: Turn[]
  topK: number
  signal: AbortSignal
  /** Streams the answer; awaited, so a slow client holds the LLM's stream back instead of piling up in memory. */
  onToken?: (text: string) => void | Promise<void>
  /** Told why an LLM call failed, before the answer falls back to extractive (for the logs). */
  onLlmError?: (err: unknown) => void
  /** Told how a follow-up's rewrite went (for the metrics and logs). */
  onCondense?: (outcome: CondenseOutcome) => void
}

const SNIPPET_CHARS = 600
const ZERO_USAGE: LlmUsage = { prompt_tokens: 0, completion_tokens: 0 }

export async function answerQuestion (deps: ChatDeps, request: ChatRequest): Promise<ChatAnswer> {
  const started = performance.now()
  const input = deps.checkInput(request.question, request.history)
  const base = answerBase(input)
  const finish = (
    partial: Partial<ChatAnswer> & Pick<ChatAnswer, 'answer' | 'mode'>,
    timings: { retrieval: number, llm: number }
  ): ChatAnswer => ({
    ...base,
    ...partial,
    guardrails: { ...base.guardrails, ...partial.guardrails },
    timings_ms: { ...timings, total: ms(performance.now() - started) }
  })

  if (input.refusal) {
    return finish({ answer: input.refusal.answer, mode: 'refused', reason: input.refusal.reason }, { retrieval: 0, llm: 0 })
  }

  const { context, query, retrieval, refusal, retrievalMs, condenseMs } = await retrieveAndScreen(deps, input, request)
  if (refusal !== null || retrieval.results.length === 0) {
    const inputFindings = {
      ...base.guardrails.input,
      off_topic: refusal?.reason === 'off_topic',
      injection: input.injection || refusal?.reason === 'injection'
    }
    return finish({
      answer: refusal?.answer ?? deps.noAnswer,
      mode: 'refused',
      reason: refusal?.reason ?? 'no_relevant',
      guardrails: { input: inputFindings, output: base.guardrails.output }
    }, { retrieval: retrievalMs, llm: condenseMs })
  }

  const sources = retrieval.results.map((r, i) => ({
    n: i + 1, document_title: r.document_title, heading: r.heading, text: r.text, version: r.version, effective_date: r.effective_date
  }))
  let llmMs = condenseMs
  let fallbackReason: string | undefined
  if (deps.llm?.available() === true) {
    const llmStarted = performance.now()
    const attempt = await answerWithLlm(deps, deps.llm, input, sources, retrieval.results, request)
    llmMs = ms(llmMs + performance.now() - llmStarted)
    if ('answer' in attempt) return finish(attempt.answer, { retrieval: retrievalMs, llm: llmMs })
    fallbackReason = attempt.fallback
  } else if (deps.llm !== null) {
    fallbackReason = 'llm_circuit_open'
  }

  const extractive = await answerFromPassages(deps, { question: input.question, context, query }, retrieval)
  if (extractive === null) {
    return finish({ answer: deps.noAnswer, mode: 'refused', reason: 'no_relevant' }, { retrieval: retrievalMs, llm: llmMs })
  }
  const numbered = checkCitations(extractive.answer, sources.length)
  return finish({
    answer: numbered.answer,
    mode: 'extractive',
    citations: citationsFor(numbered.cited, retrieval.results),
    model: `extractive (${deps.embeddingModel})`,
    ...(fallbackReason ? { reason: fallbackReason } : {})
  }, { retrieval: retrievalMs, llm: llmMs })
}

interface Retrieved {
  /** The turn the question leans on, or null. */
  context: string | null
  /** What was searched for: the follow-up's own query, or the LLM's rewrite of it. */
  query: string
  retrieval: Retrieval
  refusal: { reason: string, answer: string } | null
  retrievalMs: number
  /** Time spent waiting for the rewrite after the follow-up's own retrieval and screen. */
  condenseMs: number
}

/**
 * Retrieval for the question (with the turn it leans on: follow-up.ts) and the screen's verdict on it. With an LLM, a
 * follow-up is also rewritten as a standalone question (condense.ts), while its own retrieval runs; the screen judges
 * the user's own words and that retrieval's evidence, never the rewrite, and the rewrite only replaces the passages.
 */
async function retrieveAndScreen (deps: ChatDeps, input: InputVerdict, request: ChatRequest): Promise<Retrieved> {
  const { context, query } = followUp(input.question, input.history)
  const condensing = context === null ? null : startCondensing(deps, input, request)
  const own = await deps.retrieve(query, request.topK).catch((err: unknown) => {
    condensing?.cancel()
    throw err
  })
  // A follow-up is judged with the turn it leans on ("and if it's about the CEO?" alone reads like a request about a person).
  const refusal = deps.screen({
    question: query,
    queryVector: own.queryVector,
    topSimilarity: own.topSimilarity,
    topKeywordScore: own.topKeywordScore,
    results: own.results.length
  })
  const retrieved: Retrieved = { context, query, retrieval: own, refusal, retrievalMs: own.timingsMs.total, condenseMs: 0 }
  if (condensing === null) return retrieved
  if (refusal !== null) {
    condensing.cancel()
    return retrieved
  }
  const waited = performance.now()
  const outcome = await condensing.outcome
  retrieved.condenseMs = ms(performance.now() - waited)
  request.onCondense?.(outcome)
  if (!('rewritten' in outcome)) return retrieved
  const rewritten = await deps.retrieve(outcome.rewritten, request.topK)
  retrieved.retrievalMs = ms(retrieved.retrievalMs + rewritten.timingsMs.total)
  return rewritten.results.length === 0 ? retrieved : { ...retrieved, query: outcome.rewritten, retrieval: rewritten }
}

/**
 * The LLM's rewrite of a follow-up, started when there is an LLM, its circuit is not open and a time limit is set;
 * `cancel` stops it when the question is refused before the rewrite is needed.
 */
function startCondensing (
  deps: ChatDeps, input: InputVerdict, request: ChatRequest
): { outcome: Promise<CondenseOutcome>, cancel: () => void } | null {
  const timeoutMs = deps.condenseTimeoutMs ?? 0
  if (deps.llm?.available() !== true || timeoutMs <= 0) return null
  const cancelled = new AbortController()
  const signal = AbortSignal.any([request.signal, cancelled.signal])
  return {
    outcome: condenseFollowUp(deps.llm, input, { timeoutMs, signal }),
    cancel: () => cancelled.abort()
  }
}

type LlmAttempt = { answer: Partial<ChatAnswer> & Pick<ChatAnswer, 'answer' | 'mode'> } | { fallback: string }

async function answerWithLlm (
  deps: ChatDeps, llm: LlmPort, input: InputVerdict, sources: PromptSource[], results: RetrievedChunk[], request: ChatRequest
): Promise<LlmAttempt> {
  const messages = buildMessages({ question: input.question, sources, history: input.history })
  const sourcesText = sources.map((s) => s.text).join('\n')
  let text = ''
  let model = llm.model
  let usage = ZERO_USAGE
  try {
    if (request.onToken) {
      // Invalid [n] references are removed as the tokens pass, exactly as checkCitations does at the end;
      // then the output guard redacts and watches for an echoed system prompt.
      const live = new CitationStream(sources.length)
      const guard = deps.streamLive ? deps.streamGuard?.(sourcesText) : undefined
      const emit = async (piece: string): Promise<void> => { if (deps.streamLive && piece !== '') await request.onToken?.(piece) }
      for await (const event of llm.stream(messages, request.signal)) {
        if (event.type === 'token') {
          text += event.text
          const cited = live.push(event.text)
          await emit(guard === undefined ? cited : guard.push(cited))
          if (guard?.stopped === true) return { fallback: 'llm_output_rejected' }
        } else {
          model = event.model
          usage = event.usage
        }
      }
      const rest = live.end()
      await emit(guard === undefined ? rest : guard.push(rest) + guard.end())
      if (guard?.stopped === true) return { fallback: 'llm_output_rejected' }
    } else {
      ({ text, model, usage } = await llm.complete(messages, request.signal))
    }
  } catch (err) {
    if (request.signal.aborted) throw err
    request.onLlmError?.(err)
    return { fallback: `llm_${errorKind(err)}` }
  }

  const cited = checkCitations(text, sources.length)
  if (cited.cited.length === 0) return { fallback: 'llm_uncited' }
  const output = deps.checkOutput(cited.answer, sourcesText)
  if (output.replaced) return { fallback: 'llm_output_rejected' }
  return {
    answer: {
      answer: output.answer,
      mode: 'llm',
      citations: citationsFor(cited.cited, results),
      guardrails: {
        input: { pii_redacted: input.pii_redacted, injection: input.injection, off_topic: false },
        output: { citations_valid: cited.invalid.length === 0, pii_redacted: output.pii_redacted }
      },
      model,
      usage
    }
  }
}

/** The retrieved chunks as the extractive answerer's numbered passages ([1] is the first). */
export function extractivePassages (results: readonly RetrievedChunk[]): Array<Required<Passage>> {
  return results.map((r, i) => ({
    n: i + 1,
    text: r.text,
    heading: r.heading,
    document_id: r.document_id,
    document_title: r.document_title,
    version: r.version,
    effective_date: r.effective_date
  }))
}

async function answerFromPassages (
  deps: ChatDeps,
  { question, context, query }: { question: string, context: string | null, query: string },
  retrieval: Retrieval
): Promise<{ answer: string, cited: number[] } | null> {
  const canEmbed = deps.canEmbed?.() ?? true
  const questionVector = retrieval.queryVector ?? (canEmbed ? (await deps.embed([query]))[0] as Float32Array : null)
  const passages = extractivePassages(retrieval.results)
  const vocabulary = deps.vocabulary?.()
  const request = {
    question,
    context,
    questionVector,
    embedQuestion: canEmbed ? deps.embed : null,
    ...(vocabulary ? { knownPhrase: knownTo(vocabulary) } : {})
  }
  return answerExtractively(request, passages, deps.embedPassageUnits ?? deps.embed, deps.extractive)
}

function answerBase (input: InputVerdict): Omit<ChatAnswer, 'answer' | 'mode' | 'timings_ms'> {
  return {
    citations: [],
    guardrails: {
      input: { pii_redacted: input.pii_redacted, injection: input.injection, off_topic: false },
      output: { citations_valid: true, pii_redacted: [] }
    },
    model: 'none',
    usage: ZERO_USAGE
  }
}

/** `cited` holds source numbers in order of first appearance; the answer shows `cited[i]` as [i + 1]. */
export function citationsFor (cited: readonly number[], results: readonly RetrievedChunk[]): Citation[] {
  return cited.flatMap((n, i) => {
    const r = results[n - 1]
    if (r === undefined) return []
    return [{
      id: i + 1,
      chunk_id: r.chunk_id,
      document_id: r.document_id,
      document_title: r.document_title,
      heading: r.heading,
      snippet: snippet(r.text),
      version: r.version,
      effective_date: r.effective_date,
      source_url: r.source_url
    }]
  })
}

function snippet (markdown: string): string {
  const text = plainText(markdown)
  if (text.length <= SNIPPET_CHARS) return text
  const cut = text.lastIndexOf(' ', SNIPPET_CHARS)
  return `${text.slice(0, cut > 0 ? cut : SNIPPET_CHARS)}…`
}

function errorKind (err: unknown): string {
  const kind = (err as { kind?: unknown } | null)?.kind
  return typeof kind === 'string' ? kind : 'error'
}

function ms (value: number): number {
  return Math.round(value * 1000) / 1000
}
