import { setTimeout as sleep } from 'node:timers/promises'
import { Pool, type Dispatcher } from 'undici'
import { configDefault } from '../config.js'
import { CircuitBreaker, type BreakerPermit, type CircuitBreakerOptions } from './circuit-breaker.js'
import { LlmError, isRetryableStatus } from './errors.js'
import { parseRetryAfter, retryDelay, type BackoffOptions } from './retry.js'
import { SseParser } from './sse.js'
import { errorBodyMessage, parseChunk, parseCompletion, parseJson, truncate, type LlmUsage } from './wire.js'

export { LlmError, type LlmErrorKind } from './errors.js'
export type { LlmUsage } from './wire.js'

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

export interface LlmRequest {
  messages: ChatMessage[]
  /** The caller's signal (e.g. the HTTP client disconnected); aborts the upstream request. */
  signal?: AbortSignal
  maxTokens?: number
  temperature?: number
  /** This call's whole deadline, below the client's (a side call with a tight budget). */
  timeoutMs?: number
  /** This call's retries, at most the client's. */
  maxRetries?: number
  /**
   * 'observe' for a side call (e.g. rewriting a follow-up for retrieval): made only while the circuit is closed, without a
   * permit, and its outcome is not counted, so it can neither take a half-open circuit's one probe from an answer nor open
   * or close the circuit. Default 'count'.
   */
  breaker?: 'count' | 'observe'
}

export interface LlmCompletion {
  text: string
  model: string
  usage: LlmUsage
  finish_reason?: string
}

export type LlmStreamEvent =
  | { type: 'token', text: string }
  | { type: 'done', model: string, usage: LlmUsage, finish_reason?: string }

export interface LlmClientOptions {
  baseUrl?: string
  apiKey?: string
  model?: string
  maxTokens?: number
  temperature?: number
  /** Deadline for the whole call, retries and backoff included (default: LLM_TIMEOUT_MS's). */
  timeoutMs?: number
  /** Time allowed until response headers arrive (default: LLM_FIRST_BYTE_TIMEOUT_MS's). */
  firstByteTimeoutMs?: number
  /** Longest silence allowed between body chunks (default: firstByteTimeoutMs). */
  idleTimeoutMs?: number
  maxRetries?: number
  backoff?: BackoffOptions
  breaker?: CircuitBreakerOptions
  /** Most simultaneous connections to the provider (default 64). */
  connections?: number
  /** OpenRouter's attribution headers: X-Title and HTTP-Referer. */
  appName?: string
  appUrl?: string
  /** Ask for usage in the final stream chunk (stream_options.include_usage; default true). */
  streamUsage?: boolean
  /** Most bytes read from one response before the call is aborted (default: 1 KiB per max token, at least 256 KiB). */
  maxResponseBytes?: number
}

export interface LlmClient {
  readonly baseUrl: string
  readonly model: string
  readonly breaker: CircuitBreaker
  complete (req: LlmRequest): Promise<LlmCompletion>
  stream (req: LlmRequest): AsyncIterable<LlmStreamEvent>
  close (): Promise<void>
}

interface CallContext {
  signal: AbortSignal
  caller?: AbortSignal
  deadline: AbortSignal
  deadlineAt: number
  timeoutMs: number
  maxRetries: number
  limits: ReplyLimits
}

interface Settings {
  model: string
  maxTokens: number
  temperature: number
  timeoutMs: number
  firstByteTimeoutMs: number
  idleTimeoutMs: number
  maxRetries: number
  streamUsage: boolean
  backoff: BackoffOptions
  limits: ReplyLimits
}

/** What one reply may cost: a provider that ignores max_tokens, or streams forever, is cut off. */
interface ReplyLimits {
  bytes: number
  chars: number
  deltas: number
}

const ZERO_USAGE: LlmUsage = { prompt_tokens: 0, completion_tokens: 0 }
const ERROR_BODY_LIMIT = 16_384
const BACKSTOP_MS = 1_000

/**
 * Precise first-byte and idle timeouts for one attempt: aborts the attempt's
 * signal with a 'timeout' LlmError as the reason, which undici rethrows.
 */
class Watchdog {
  readonly #controller = new AbortController()
  #timer: NodeJS.Timeout | undefined

  get signal (): AbortSignal {
    return this.#controller.signal
  }

  arm (ms: number, message: string): void {
    this.clear()
    this.#timer = setTimeout(() => this.#controller.abort(new LlmError('timeout', message)), ms)
    this.#timer.unref()
  }

  refresh (): void {
    this.#timer?.refresh()
  }

  clear (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }
}

/**
 * Client for any OpenAI-compatible `POST {baseUrl}/chat/completions`
 * (OpenRouter, llama.cpp, Ollama, vLLM) over one keep-alive undici Pool.
 * Retries 408/429/5xx and connection failures before any token was produced,
 * counts each call (not each attempt) against a circuit breaker, and throws
 * only LlmError, with the API key scrubbed from every message.
 */
export class ChatCompletionsClient implements LlmClient {
  readonly baseUrl: string
  readonly model: string
  readonly breaker: CircuitBreaker
  readonly #path: string
  readonly #pool: Pool
  readonly #settings: Settings
  readonly #headers: Record<string, string>
  readonly #scrub: (err: LlmError) => LlmError
  #closing: Promise<void> | undefined

  constructor (opts: LlmClientOptions = {}) {
    this.baseUrl = (opts.baseUrl ?? configDefault('LLM_BASE_URL')).replace(/\/+$/, '')
    const url = new URL(`${this.baseUrl}/chat/completions`)
    this.#path = url.pathname + url.search
    // Room for every chat a machine lets in (fly.toml's hard_limit): a call queued for a free
    // connection spends its first-byte timeout waiting, fails, and counts against the breaker.
    this.#pool = new Pool(url.origin, { connections: opts.connections ?? 64, keepAliveTimeout: 30_000 })
    this.breaker = new CircuitBreaker({
      threshold: configDefault('LLM_BREAKER_THRESHOLD'),
      cooldownMs: configDefault('LLM_BREAKER_COOLDOWN_MS'),
      ...opts.breaker
    })
    this.#settings = resolveSettings(opts)
    this.model = this.#settings.model
    this.#headers = requestHeaders(opts)
    this.#scrub = scrubber(opts.apiKey)
  }

  async complete (req: LlmRequest): Promise<LlmCompletion> {
    const { permit, ctx } = this.#begin(req)
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.#attemptComplete(req, ctx)
        permit.success()
        return result
      } catch (e) {
        const err = this.#classify(e, ctx)
        if (!await this.#retryOrSettle(attempt, err, ctx, permit)) throw err
      }
    }
  }

  async * stream (req: LlmRequest): AsyncGenerator<LlmStreamEvent> {
    const { permit, ctx } = this.#begin(req)
    let emitted = false
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          for await (const event of this.#attemptStream(req, ctx)) {
            if (event.type === 'done') permit.success()
            else emitted = true
            yield event
          }
          return
        } catch (e) {
          const err = this.#classify(e, ctx)
          if (emitted) {
            settle(permit, err)
            throw err
          }
          if (!await this.#retryOrSettle(attempt, err, ctx, permit)) throw err
        }
      }
    } finally {
      permit.release()
    }
  }

  /** Lets in-flight requests finish for up to a second, then cuts them. */
  close (): Promise<void> {
    this.#closing ??= (async () => {
      const graceful = this.#pool.close().then(() => true, () => false)
      const finished = await Promise.race([graceful, sleep(1_000, false, { ref: false })])
      if (!finished) await this.#pool.destroy().catch(() => undefined)
    })()
    return this.#closing
  }

  #begin (req: LlmRequest): { permit: BreakerPermit, ctx: CallContext } {
    if (req.signal?.aborted === true) throw new LlmError('aborted', 'LLM request aborted by the caller')
    const permit = req.breaker === 'observe' ? this.#observer() : this.breaker.acquire()
    const settings = this.#settings
    return {
      permit,
      ctx: {
        ...callContext(req.signal, Math.min(req.timeoutMs ?? Infinity, settings.timeoutMs)),
        maxRetries: Math.max(0, Math.min(req.maxRetries ?? Infinity, settings.maxRetries)),
        limits: req.maxTokens === undefined ? settings.limits : requestLimits(settings.limits, req.maxTokens)
      }
    }
  }

  #observer (): BreakerPermit {
    const state = this.breaker.state
    if (state !== 'closed') throw new LlmError('circuit_open', `LLM circuit is ${state}; side calls wait until it closes`)
    return UNCOUNTED
  }

  #classify (err: unknown, ctx: CallContext): LlmError {
    if (ctx.caller?.aborted === true) return new LlmError('aborted', 'LLM request aborted by the caller', { cause: err })
    if (err instanceof LlmError) return this.#scrub(err)
    if (ctx.deadline.aborted) return new LlmError('timeout', `LLM request exceeded ${ctx.timeoutMs} ms`, { cause: err })
    const code = errorCode(err)
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return new LlmError('timeout', `LLM response timed out (${code})`, { cause: err })
    }
    const detail = err instanceof Error ? err.message : String(err)
    const closed = code === 'UND_ERR_CLOSED' || code === 'UND_ERR_DESTROYED'
    return this.#scrub(new LlmError('network', `LLM connection failed (${code ?? 'error'}): ${truncate(detail, 200)}`, {
      cause: err,
      retryable: !closed
    }))
  }

  async #send (req: LlmRequest, ctx: CallContext, watchdog: Watchdog, stream: boolean): Promise<Dispatcher.ResponseData> {
    const settings = this.#settings
    watchdog.arm(settings.firstByteTimeoutMs, `LLM sent no response within ${settings.firstByteTimeoutMs} ms`)
    const res = await this.#pool.request({
      path: this.#path,
      method: 'POST',
      headers: { ...this.#headers, accept: stream ? 'text/event-stream' : 'application/json' },
      body: JSON.stringify(payload(req, settings, stream)),
      signal: AbortSignal.any([ctx.signal, watchdog.signal]),
      // undici's own timers tick at ~1 s resolution: a backstop behind the watchdog
      headersTimeout: settings.firstByteTimeoutMs + BACKSTOP_MS,
      bodyTimeout: settings.idleTimeoutMs + BACKSTOP_MS
    })
    watchdog.arm(settings.idleTimeoutMs, `LLM response stalled for ${settings.idleTimeoutMs} ms`)
    if (res.statusCode >= 200 && res.statusCode < 300) return res
    throw await httpError(res)
  }

  async #attemptComplete (req: LlmRequest, ctx: CallContext): Promise<LlmCompletion> {
    const watchdog = new Watchdog()
    try {
      return await readCompletion(await this.#send(req, ctx, watchdog, false), this.model, watchdog, ctx.limits)
    } finally {
      watchdog.clear()
    }
  }

  async * #attemptStream (req: LlmRequest, ctx: CallContext): AsyncGenerator<LlmStreamEvent> {
    const watchdog = new Watchdog()
    try {
      const res = await this.#send(req, ctx, watchdog, true)
      try {
        if (isJson(res.headers['content-type'])) {
          yield * completionAsStream(await readCompletion(res, this.model, watchdog, ctx.limits))
          return
        }
        yield * readStream(res, this.model, watchdog, ctx.limits)
      } finally {
        if (!res.body.readableEnded) res.body.destroy()
      }
    } finally {
      watchdog.clear()
    }
  }

  /** Sleeps before the next attempt, or settles the permit and returns false when this error must not be retried. */
  async #retryOrSettle (attempt: number, err: LlmError, ctx: CallContext, permit: BreakerPermit): Promise<boolean> {
    try {
      if (await backoffBefore(attempt, err, ctx, this.#settings)) return true
    } catch (e) {
      const aborted = this.#classify(e, ctx)
      settle(permit, aborted)
      throw aborted
    }
    settle(permit, err)
    return false
  }
}

function callContext (caller: AbortSignal | undefined, timeoutMs: number): Omit<CallContext, 'maxRetries' | 'limits'> {
  const deadline = AbortSignal.timeout(timeoutMs)
  const signal = caller === undefined ? deadline : AbortSignal.any([caller, deadline])
  return { signal, caller, deadline, deadlineAt: Date.now() + timeoutMs, timeoutMs }
}

/** A permit for calls the breaker does not count. */
const UNCOUNTED: BreakerPermit = { success: () => undefined, failure: () => undefined, release: () => undefined }

/** Sleeps before the next attempt, or returns false when this error must not be retried. */
async function backoffBefore (attempt: number, err: LlmError, ctx: CallContext, settings: Settings): Promise<boolean> {
  if (attempt >= ctx.maxRetries || !isRetryable(err)) return false
  const delay = retryDelay(attempt, err.retryAfterMs, settings.backoff)
  if (delay === null || Date.now() + delay >= ctx.deadlineAt) return false
  await sleep(delay, undefined, { signal: ctx.signal })
  return true
}

/** Options left out take the config schema's defaults (lib/config.ts declares each once). */
function resolveSettings (opts: LlmClientOptions): Settings {
  const firstByteTimeoutMs = opts.firstByteTimeoutMs ?? configDefault('LLM_FIRST_BYTE_TIMEOUT_MS')
  const maxTokens = opts.maxTokens ?? configDefault('MAX_TOKENS')
  return {
    model: opts.model ?? configDefault('LLM_MODEL'),
    maxTokens,
    temperature: opts.temperature ?? configDefault('LLM_TEMPERATURE'),
    timeoutMs: opts.timeoutMs ?? configDefault('LLM_TIMEOUT_MS'),
    firstByteTimeoutMs,
    idleTimeoutMs: opts.idleTimeoutMs ?? firstByteTimeoutMs,
    maxRetries: Math.max(0, opts.maxRetries ?? configDefault('LLM_MAX_RETRIES')),
    streamUsage: opts.streamUsage ?? true,
    backoff: opts.backoff ?? {},
    limits: replyLimits(maxTokens, opts.maxResponseBytes)
  }
}

/**
 * Headroom over max_tokens: a token averages about 4 characters, and a streamed chunk wraps each
 * in a few hundred bytes of JSON; some providers split a token across chunks.
 */
function replyLimits (maxTokens: number, maxBytes: number | undefined): ReplyLimits {
  return { bytes: maxBytes ?? Math.max(256 * 1024, maxTokens * 1024), chars: maxTokens * 16, deltas: maxTokens * 2 + 16 }
}

/** A call asking for fewer tokens than the client's MAX_TOKENS is cut off sooner. */
function requestLimits (limits: ReplyLimits, maxTokens: number): ReplyLimits {
  const own = replyLimits(maxTokens, limits.bytes)
  return { bytes: limits.bytes, chars: Math.min(limits.chars, own.chars), deltas: Math.min(limits.deltas, own.deltas) }
}

/** Counts what a reply has cost so far and throws `too_large` past a limit. */
class ReplyBudget {
  #bytes = 0
  #chars = 0
  #deltas = 0

  constructor (readonly limits: ReplyLimits) {}

  bytes (n: number): void {
    this.#bytes += n
    if (this.#bytes > this.limits.bytes) throw tooLarge(`over ${this.limits.bytes} bytes`)
  }

  text (delta: string): void {
    this.#chars += delta.length
    this.#deltas++
    if (this.#chars > this.limits.chars) throw tooLarge(`over ${this.limits.chars} characters`)
    if (this.#deltas > this.limits.deltas) throw tooLarge(`over ${this.limits.deltas} chunks`)
  }
}

function tooLarge (what: string): LlmError {
  return new LlmError('too_large', `LLM reply cut off: ${what} (MAX_TOKENS with headroom)`)
}

function requestHeaders (opts: LlmClientOptions): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (opts.apiKey !== undefined && opts.apiKey !== '') headers.authorization = `Bearer ${opts.apiKey}`
  if (opts.appUrl !== undefined && opts.appUrl !== '') headers['http-referer'] = opts.appUrl
  if (opts.appName !== undefined && opts.appName !== '') headers['x-title'] = opts.appName
  return headers
}

function payload (req: LlmRequest, settings: Settings, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: settings.model,
    messages: req.messages,
    max_tokens: req.maxTokens ?? settings.maxTokens,
    temperature: req.temperature ?? settings.temperature,
    stream
  }
  if (stream && settings.streamUsage) body.stream_options = { include_usage: true }
  return body
}

async function readCompletion (
  res: Dispatcher.ResponseData,
  fallbackModel: string,
  watchdog: Watchdog,
  limits: ReplyLimits
): Promise<LlmCompletion> {
  const budget = new ReplyBudget(limits)
  budget.bytes(Number(res.headers['content-length'] ?? 0) || 0)
  const chunks: Buffer[] = []
  for await (const chunk of res.body) {
    watchdog.refresh()
    const buffer = Buffer.from(chunk as Uint8Array)
    if (res.headers['content-length'] === undefined) budget.bytes(buffer.length)
    chunks.push(buffer)
  }
  const parsed = parseCompletion(parseJson(Buffer.concat(chunks).toString('utf8'), 'response body'))
  budget.text(parsed.text)
  return {
    text: parsed.text,
    model: parsed.model ?? fallbackModel,
    usage: parsed.usage ?? ZERO_USAGE,
    finish_reason: parsed.finishReason
  }
}

function * completionAsStream (completion: LlmCompletion): Generator<LlmStreamEvent> {
  if (completion.text !== '') yield { type: 'token', text: completion.text }
  yield { type: 'done', model: completion.model, usage: completion.usage, finish_reason: completion.finish_reason }
}

/**
 * Yields tokens as SSE chunks arrive and `done` at `data: [DONE]` (or at the
 * end of a stream that reported a finish_reason). After `done` the rest of
 * the body is drained, so the keep-alive connection can be reused.
 */
async function * readStream (
  res: Dispatcher.ResponseData,
  fallbackModel: string,
  watchdog: Watchdog,
  limits: ReplyLimits
): AsyncGenerator<LlmStreamEvent> {
  const parser = new SseParser()
  const budget = new ReplyBudget(limits)
  let model = fallbackModel
  let usage: LlmUsage | undefined
  let finish: string | undefined
  const done = (): LlmStreamEvent => ({ type: 'done', model, usage: usage ?? ZERO_USAGE, finish_reason: finish })
  for await (const chunk of res.body) {
    watchdog.refresh()
    budget.bytes((chunk as Uint8Array).length)
    for (const event of parser.push(chunk as Uint8Array)) {
      if (event.data === '[DONE]') {
        watchdog.clear()
        yield done()
        await drain(res)
        return
      }
      const parsed = parseChunk(parseJson(event.data, 'stream chunk'))
      model = parsed.model ?? model
      usage = parsed.usage ?? usage
      finish = parsed.finishReason ?? finish
      if (parsed.delta === '') continue
      budget.text(parsed.delta)
      yield { type: 'token', text: parsed.delta }
    }
  }
  parser.end()
  if (finish === undefined) throw new LlmError('network', 'LLM stream ended before completion')
  yield done()
}

async function drain (res: Dispatcher.ResponseData): Promise<void> {
  try {
    await res.body.dump({ limit: 65_536 })
  } catch {
    res.body.destroy()
  }
}

async function httpError (res: Dispatcher.ResponseData): Promise<LlmError> {
  const text = await readLimited(res)
  const detail = errorBodyMessage(text) ?? text.trim()
  const status = res.statusCode
  const message = `LLM HTTP ${status}${detail === '' ? '' : `: ${truncate(detail, 200)}`}`
  return new LlmError('http', message, { status, retryAfterMs: parseRetryAfter(res.headers['retry-after']) })
}

async function readLimited (res: Dispatcher.ResponseData): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of res.body) {
      const buffer = Buffer.from(chunk as Uint8Array)
      chunks.push(buffer)
      size += buffer.length
      if (size >= ERROR_BODY_LIMIT) break
    }
  } catch {
    // The status line is what matters; a body cut short only loses detail.
  } finally {
    if (!res.body.readableEnded) res.body.destroy()
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, ERROR_BODY_LIMIT)
}

function isRetryable (err: LlmError): boolean {
  if (err.kind === 'network') return err.retryable
  return err.kind === 'http' && err.status !== undefined && isRetryableStatus(err.status)
}

/** Caller aborts and request-specific 4xx say nothing about the provider's health. */
export function countsAgainstBreaker (err: LlmError): boolean {
  if (err.kind === 'aborted' || err.kind === 'circuit_open') return false
  if (err.kind !== 'http' || err.status === undefined) return true
  if (err.status < 400 || err.status >= 500) return true
  return [401, 402, 403, 404, 408, 429].includes(err.status)
}

function settle (permit: BreakerPermit, err: LlmError): void {
  if (countsAgainstBreaker(err)) permit.failure()
  else permit.release()
}

function isJson (contentType: string | string[] | undefined): boolean {
  const value = Array.isArray(contentType) ? contentType[0] : contentType
  return value !== undefined && /^application\/([a-z.+-]*\+)?json\b/i.test(value)
}

function errorCode (err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined
  return typeof err.code === 'string' ? err.code : undefined
}

function scrubber (apiKey: string | undefined): (err: LlmError) => LlmError {
  if (apiKey === undefined || apiKey.length < 4) return (err) => err
  return (err) => {
    if (!err.message.includes(apiKey)) return err
    const message = err.message.split(apiKey).join('[redacted]')
    return new LlmError(err.kind, message, { status: err.status, retryable: err.retryable, retryAfterMs: err.retryAfterMs })
  }
}
