import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { CONDENSE_SYSTEM_PROMPT } from '../../lib/answer/condense-prompt.js'

/**
 * A real HTTP server on 127.0.0.1 speaking OpenAI's chat/completions protocol
 * (JSON, and SSE when the request says `stream: true`), scripted per request.
 * Each request takes the next queued step, or the default step when the queue
 * is empty. Requests to rewrite a follow-up (lib/answer/condense-prompt.ts's system
 * prompt) have a queue and a default of their own, so a test scripts the rewrite and
 * the answer apart. The tests and the benchmarks (as the provider's stand-in) share it.
 */
export interface FakeStep {
  /** HTTP status (default 200). Error statuses get an OpenAI-style error body unless `body` is set. */
  status?: number
  headers?: Record<string, string>
  /** The answer; streamed word by word unless `tokens` is given. */
  text?: string
  tokens?: string[]
  model?: string
  /** Usage to report; by default estimated from the request, `null` to omit it. */
  usage?: { prompt_tokens: number, completion_tokens: number } | null
  /** Wait this long before sending headers. */
  delayMs?: number
  /** Never answer (the client must time out or abort). */
  hang?: boolean
  /** Stream: wait this long before each chunk. */
  tokenDelayMs?: number
  /** Stream: destroy the socket after this many tokens. */
  cutAfterTokens?: number
  /** Stream: stop writing after this many tokens and never finish. */
  stallAfterTokens?: number
  /** Send this exact body instead of a generated one (e.g. malformed JSON). */
  body?: string
  /** Stream: write these raw pieces as-is (each after tokenDelayMs) instead of generated events. */
  raw?: Array<string | Uint8Array>
  /** Stream: send this error event (OpenRouter's mid-stream shape) after the tokens, then [DONE]. */
  streamError?: { message: string, code: number }
  /** Stream: leave out `data: [DONE]`. */
  omitDone?: boolean
}

export interface RecordedRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  /** Parsed JSON body, or the raw text when it was not JSON. */
  body: unknown
  rawBody: string
  stream: boolean
  /** A request to rewrite a follow-up as a standalone question, not to answer. */
  condense: boolean
  /** The client's port: equal ports mean a reused keep-alive connection. */
  remotePort?: number
  /** True when the connection closed before the response was complete. */
  aborted: boolean
  /** Resolves when the response closes, completed or not. */
  closed: Promise<void>
}

export interface FakeLlmServer {
  /** Base URL to give the client, e.g. http://127.0.0.1:40123/v1 */
  readonly url: string
  readonly origin: string
  /** Every request so far, unless started with `record: false`. */
  readonly requests: RecordedRequest[]
  /** How many requests arrived, recorded or not. */
  readonly received: number
  enqueue (...steps: FakeStep[]): void
  setDefault (step: FakeStep): void
  /** Steps for rewrite requests only (their default: the answer text, which is no question, so the service falls back). */
  enqueueCondense (...steps: FakeStep[]): void
  setCondenseDefault (step: FakeStep): void
  /** Forgets the queue and the requests and restores the first default step: one server serves several cases in turn. */
  reset (): void
  /** Resolves with request number `index` (0-based) once it has arrived. */
  waitForRequest (index: number): Promise<RecordedRequest>
  close (): Promise<void>
}

export const DEFAULT_FAKE_ANSWER = 'Employees may carry over up to 5 unused PTO days [1].'
export const FAKE_MODEL = 'fake/llm-1'

export interface FakeLlmOptions {
  default?: FakeStep
  /** The step for rewrite requests when their queue is empty (default: DEFAULT_FAKE_ANSWER, which is not a question). */
  condense?: FakeStep
  basePath?: string
  /** Keep each request (default true); a benchmark sending thousands only counts them. */
  record?: boolean
}

export async function startFakeLlmServer (opts: FakeLlmOptions = {}): Promise<FakeLlmServer> {
  const basePath = opts.basePath ?? '/v1'
  const record = opts.record ?? true
  const queue: FakeStep[] = []
  const requests: RecordedRequest[] = []
  const waiters: Array<() => void> = []
  const sockets = new Set<Socket>()
  const initial: FakeStep = opts.default ?? {}
  let fallback = initial
  const condenseQueue: FakeStep[] = []
  const condenseInitial: FakeStep = opts.condense ?? {}
  let condenseFallback = condenseInitial
  let received = 0

  const server = createServer((req, res) => {
    void handle(req, res)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req)
    const request = recordRequest(req, res, rawBody)
    received++
    if (record) requests.push(request)
    for (const wake of waiters.splice(0)) wake()
    if (req.method !== 'POST' || req.url !== `${basePath}/chat/completions`) {
      sendJson(res, 404, { error: { message: `no route ${req.method} ${req.url}`, code: 404 } })
      return
    }
    const step = request.condense ? condenseQueue.shift() ?? condenseFallback : queue.shift() ?? fallback
    await respond(step, request, res)
  }

  // A benchmark's client keeps its connections for the whole run.
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: origin + basePath,
    origin,
    requests,
    get received () { return received },
    enqueue: (...steps) => { queue.push(...steps) },
    setDefault: (step) => { fallback = step },
    enqueueCondense: (...steps) => { condenseQueue.push(...steps) },
    setCondenseDefault: (step) => { condenseFallback = step },
    reset () {
      queue.length = 0
      condenseQueue.length = 0
      condenseFallback = condenseInitial
      requests.length = 0
      received = 0
      fallback = initial
    },
    async waitForRequest (index) {
      while (requests.length <= index) await new Promise<void>((resolve) => waiters.push(resolve))
      return requests[index] as RecordedRequest
    },
    async close () {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      server.closeAllConnections()
      await closed
    }
  }
}

function recordRequest (req: IncomingMessage, res: ServerResponse, rawBody: string): RecordedRequest {
  let body: unknown = rawBody
  try {
    body = JSON.parse(rawBody)
  } catch {
    // Recorded as text: the test may be checking what a malformed request looks like.
  }
  const record: RecordedRequest = {
    method: req.method ?? '',
    url: req.url ?? '',
    headers: req.headers,
    body,
    rawBody,
    stream: isObject(body) && body.stream === true,
    condense: isCondenseRequest(body),
    remotePort: req.socket.remotePort,
    aborted: false,
    closed: Promise.resolve()
  }
  record.closed = new Promise<void>((resolve) => {
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true
      resolve()
    })
  })
  return record
}

async function respond (step: FakeStep, record: RecordedRequest, res: ServerResponse): Promise<void> {
  if (step.hang === true) return
  if (step.delayMs !== undefined && !await pause(step.delayMs, res)) return
  const status = step.status ?? 200
  if (status >= 400) {
    const body = step.body ?? JSON.stringify({ error: { message: `fake error ${status}`, code: status } })
    sendRaw(res, status, 'application/json', body, step.headers)
    return
  }
  if (step.body !== undefined) sendRaw(res, status, 'application/json', step.body, step.headers)
  else if (record.stream) await streamAnswer(step, record, res)
  else sendJson(res, status, completionBody(step, record), step.headers)
}

async function streamAnswer (step: FakeStep, record: RecordedRequest, res: ServerResponse): Promise<void> {
  res.writeHead(step.status ?? 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...step.headers })
  res.flushHeaders()
  const pieces = step.raw ?? sseEvents(step, record)
  const tokenCount = step.raw === undefined ? answerTokens(step).length : pieces.length
  for (let i = 0; i < pieces.length; i++) {
    if (step.tokenDelayMs !== undefined && !await pause(step.tokenDelayMs, res)) return
    if (i === step.cutAfterTokens && i < tokenCount) {
      res.socket?.destroy()
      return
    }
    if (i === step.stallAfterTokens && i < tokenCount) return
    if (res.destroyed) return
    res.write(pieces[i])
  }
  res.end()
}

function sseEvents (step: FakeStep, record: RecordedRequest): string[] {
  const model = step.model ?? FAKE_MODEL
  const tokens = answerTokens(step)
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
    `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 0, model, choices, ...extra })}\n\n`
  const events = tokens.map((text) => chunk([{ index: 0, delta: { content: text }, finish_reason: null }]))
  if (step.streamError !== undefined) {
    events.push(chunk([{ index: 0, delta: { content: '' }, finish_reason: 'error' }], { error: step.streamError }))
  } else {
    events.push(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]))
    const usage = usageFor(step, record, tokens.length)
    if (usage !== null && wantsStreamUsage(record.body)) events.push(chunk([], { usage }))
  }
  if (step.omitDone !== true) events.push('data: [DONE]\n\n')
  return events
}

function completionBody (step: FakeStep, record: RecordedRequest): Record<string, unknown> {
  const text = step.text ?? DEFAULT_FAKE_ANSWER
  const usage = usageFor(step, record, answerTokens(step).length)
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 0,
    model: step.model ?? FAKE_MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    ...(usage === null ? {} : { usage })
  }
}

function answerTokens (step: FakeStep): string[] {
  return step.tokens ?? (step.text ?? DEFAULT_FAKE_ANSWER).match(/\s*\S+/g) ?? []
}

/** Prompt tokens estimated at four characters each, like a real tokenizer's rough average. */
function usageFor (step: FakeStep, record: RecordedRequest, completionTokens: number): FakeStep['usage'] {
  if (step.usage !== undefined) return step.usage
  const messages = isObject(record.body) && Array.isArray(record.body.messages) ? record.body.messages : []
  const chars = messages.reduce((sum: number, m: unknown) => sum + (isObject(m) && typeof m.content === 'string' ? m.content.length : 0), 0)
  return { prompt_tokens: Math.ceil(chars / 4), completion_tokens: completionTokens }
}

function wantsStreamUsage (body: unknown): boolean {
  return isObject(body) && isObject(body.stream_options) && body.stream_options.include_usage === true
}

/** Resolves true after ms, or false as soon as the response closes. */
function pause (ms: number, res: ServerResponse): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false)
  return new Promise((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      res.off('close', onClose)
      resolve(true)
    }, ms)
    res.once('close', onClose)
  })
}

function sendJson (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  sendRaw(res, status, 'application/json', JSON.stringify(body), headers)
}

function sendRaw (res: ServerResponse, status: number, type: string, body: string, headers?: Record<string, string>): void {
  if (res.destroyed) return
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers })
  res.end(body)
}

async function readBody (req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function isCondenseRequest (body: unknown): boolean {
  if (!isObject(body) || !Array.isArray(body.messages)) return false
  const first: unknown = body.messages[0]
  return isObject(first) && first.role === 'system' && first.content === CONDENSE_SYSTEM_PROMPT
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
