import { test, type Test } from 'tap'
import { ChatCompletionsClient, LlmError, type LlmClient, type LlmClientOptions, type LlmStreamEvent } from '../../../lib/llm/client.js'
import { DEFAULT_FAKE_ANSWER, FAKE_MODEL, startFakeLlmServer, type FakeLlmServer } from '../../../tools/lib/fake-llm-server.js'

const KEY = 'sk-or-v1-test-secret-0123456789'
const MESSAGES = [{ role: 'system' as const, content: 'Answer from sources.' }, { role: 'user' as const, content: 'Can I carry PTO over?' }]


async function setup (t: Test, opts: LlmClientOptions = {}): Promise<{ server: FakeLlmServer, client: LlmClient }> {
  const server = await startFakeLlmServer()
  const client = new ChatCompletionsClient({
    baseUrl: server.url,
    apiKey: KEY,
    model: 'test/model',
    timeoutMs: 2_000,
    firstByteTimeoutMs: 1_000,
    backoff: { baseMs: 10, maxMs: 40 },
    appName: 'policy-rag',
    appUrl: 'https://policy-rag.example',
    ...opts
  })
  t.teardown(async () => {
    await client.close()
    await server.close()
  })
  return { server, client }
}

async function collect (events: AsyncIterable<LlmStreamEvent>): Promise<{
  text: string
  tokens: number
  done?: LlmStreamEvent
  error?: unknown
}> {
  let text = ''
  let tokens = 0
  let done: LlmStreamEvent | undefined
  try {
    for await (const event of events) {
      if (event.type === 'token') {
        text += event.text
        tokens++
      } else done = event
    }
  } catch (error) {
    return { text, tokens, done, error }
  }
  return { text, tokens, done }
}

async function rejection (promise: Promise<unknown>): Promise<LlmError> {
  try {
    await promise
  } catch (err) {
    if (err instanceof LlmError) return err
    throw err
  }
  throw new Error('expected the call to fail')
}

function asLlmError (err: unknown): LlmError {
  if (err instanceof LlmError) return err
  throw new Error(`expected an LlmError, got ${String(err)}`)
}

test('complete returns the answer, model and usage, sending the documented request', async (t) => {
  const { server, client } = await setup(t)
  const result = await client.complete({ messages: MESSAGES })
  t.equal(result.text, DEFAULT_FAKE_ANSWER)
  t.equal(result.model, FAKE_MODEL)
  t.equal(result.finish_reason, 'stop')
  t.ok(result.usage.prompt_tokens > 0)
  t.ok(result.usage.completion_tokens > 0)

  const [req] = server.requests
  t.equal(req?.method, 'POST')
  t.equal(req?.url, '/v1/chat/completions')
  t.equal(req?.headers.authorization, `Bearer ${KEY}`)
  t.equal(req?.headers['http-referer'], 'https://policy-rag.example')
  t.equal(req?.headers['x-title'], 'policy-rag')
  t.equal(req?.headers['content-type'], 'application/json')
  t.match(req?.body, { model: 'test/model', messages: MESSAGES, max_tokens: 500, temperature: 0.1, stream: false })
})

test('no Authorization header without a key (keyless local servers)', async (t) => {
  const { server, client } = await setup(t, { apiKey: undefined, appName: undefined, appUrl: undefined })
  await client.complete({ messages: MESSAGES, maxTokens: 64, temperature: 0 })
  const req = server.requests[0]
  t.equal(req?.headers.authorization, undefined)
  t.equal(req?.headers['x-title'], undefined)
  t.match(req?.body, { max_tokens: 64, temperature: 0 })
})

test('stream yields tokens as they arrive, then done with usage', async (t) => {
  const { server, client } = await setup(t)
  server.enqueue({ text: 'Yes, up to 5 days [1].', tokenDelayMs: 5 })
  const result = await collect(client.stream({ messages: MESSAGES }))
  t.error(result.error)
  t.equal(result.text, 'Yes, up to 5 days [1].')
  t.equal(result.tokens, 6)
  t.match(result.done, { type: 'done', model: FAKE_MODEL, usage: { completion_tokens: 6 }, finish_reason: 'stop' })
  t.match(server.requests[0]?.body, { stream: true, stream_options: { include_usage: true } })
  t.equal(server.requests[0]?.headers.accept, 'text/event-stream')
})

test('stream parses comments, CRLF, multi-line data and events split mid-byte', async (t) => {
  const { server, client } = await setup(t)
  const chunk = (content: string): string => JSON.stringify({ model: 'm/x', choices: [{ index: 0, delta: { content } }] })
  const wire = [
    ': OPENROUTER PROCESSING\r\n\r\n',
    `data: ${chunk('Caf')}\r\n\r\n`,
    `data: ${chunk('é ')}\n\n`,
    'data: {"model": "m/x",\ndata:  "choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}]}\n\n',
    `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 3 } })}\r\n\r\n`,
    'data: [DONE]\r\n\r\n'
  ].join('')
  const bytes = Buffer.from(wire)
  const accent = bytes.indexOf(Buffer.from('é'))
  const cut = [7, 30, accent + 1, accent + 40, accent + 41, bytes.length - 3]
  const raw: Uint8Array[] = []
  let from = 0
  for (const at of [...cut, bytes.length]) {
    raw.push(bytes.subarray(from, at))
    from = at
  }
  server.enqueue({ raw, tokenDelayMs: 2 })
  const result = await collect(client.stream({ messages: MESSAGES }))
  t.error(result.error)
  t.equal(result.text, 'Café ok')
  t.match(result.done, { model: 'm/x', usage: { prompt_tokens: 9, completion_tokens: 3 }, finish_reason: 'stop' })
})

test('a stream request answered with JSON still streams the answer', async (t) => {
  const { server, client } = await setup(t)
  server.enqueue({ body: JSON.stringify({ model: 'm/json', choices: [{ message: { content: 'Whole answer.' } }] }) })
  const first = server.requests.length
  const result = await collect(client.stream({ messages: MESSAGES }))
  t.error(result.error)
  t.equal(server.requests.length, first + 1)
  t.equal(server.requests[first]?.stream, true)
  t.equal(result.text, 'Whole answer.')
  t.match(result.done, { model: 'm/json', usage: { prompt_tokens: 0, completion_tokens: 0 } })
})

test('429 is retried after the Retry-After delay', async (t) => {
  const { server, client } = await setup(t)
  server.enqueue({ status: 429, headers: { 'retry-after': '0.3' } })
  const started = Date.now()
  const result = await client.complete({ messages: MESSAGES })
  t.equal(result.text, DEFAULT_FAKE_ANSWER)
  t.equal(server.requests.length, 2)
  t.ok(Date.now() - started >= 290, 'waited for Retry-After')
})

test('a Retry-After longer than the cap is not waited for', async (t) => {
  const { server, client } = await setup(t, { backoff: { maxRetryAfterMs: 500 } })
  server.enqueue({ status: 429, headers: { 'retry-after': '60' } })
  const err = await rejection(client.complete({ messages: MESSAGES }))
  t.equal(err.kind, 'http')
  t.equal(err.status, 429)
  t.equal(err.retryable, true)
  t.equal(err.retryAfterMs, 60_000)
  t.equal(server.requests.length, 1)
})

test('5xx is retried up to maxRetries; 4xx is not', async (t) => {
  const { server, client } = await setup(t, { maxRetries: 2 })
  server.enqueue({ status: 500 }, { status: 503 }, { status: 502 })
  const err = await rejection(client.complete({ messages: MESSAGES }))
  t.match(err, { kind: 'http', status: 502, retryable: true })
  t.match(err.message, /fake error 502/)
  t.equal(server.requests.length, 3)

  server.enqueue({ status: 500 })
  t.equal((await client.complete({ messages: MESSAGES })).text, DEFAULT_FAKE_ANSWER)
  t.equal(server.requests.length, 5)

  server.enqueue({ status: 400 })
  const bad = await rejection(client.complete({ messages: MESSAGES }))
  t.match(bad, { kind: 'http', status: 400, retryable: false })
  t.equal(server.requests.length, 6)
  t.equal(client.breaker.consecutiveFailures, 0, 'a request-specific 400 does not count against the circuit')
})

test('connection errors are retried and reported as network errors', async (t) => {
  const server = await startFakeLlmServer()
  const base = server.url
  await server.close()
  const client = new ChatCompletionsClient({ baseUrl: base, maxRetries: 1, backoff: { baseMs: 5, maxMs: 5 }, timeoutMs: 2_000 })
  t.teardown(() => client.close())
  const err = await rejection(client.complete({ messages: MESSAGES }))
  t.equal(err.kind, 'network')
  t.match(err.message, /ECONNREFUSED/)
  t.equal(err.retryable, true)
})

test('repeated 500s open the circuit; calls then fail fast without reaching the server', async (t) => {
  const states: string[] = []
  const { server, client } = await setup(t, {
    maxRetries: 1,
    breaker: { threshold: 2, cooldownMs: 60_000, onStateChange: (state) => states.push(state) }
  })
  server.setDefault({ status: 500 })
  await rejection(client.complete({ messages: MESSAGES }))
  t.equal(client.breaker.state, 'closed')
  await rejection(client.complete({ messages: MESSAGES }))
  t.equal(client.breaker.state, 'open')
  t.equal(server.requests.length, 4, 'two calls of two attempts each')

  const started = Date.now()
  const err = await rejection(client.complete({ messages: MESSAGES }))
  t.equal(err.kind, 'circuit_open')
  t.equal(err.retryable, true)
  t.ok(Date.now() - started < 50)
  const streamed = await collect(client.stream({ messages: MESSAGES }))
  t.equal(asLlmError(streamed.error).kind, 'circuit_open')
  t.equal(server.requests.length, 4, 'nothing sent while open')
  t.same(states, ['open'])
})

test('after the cooldown one probe goes through; success closes the circuit, failure reopens it', async (t) => {
  let now = 1_000
  const states: string[] = []
  const { server, client } = await setup(t, {
    maxRetries: 0,
    breaker: { threshold: 1, cooldownMs: 5_000, now: () => now, onStateChange: (state) => states.push(state) }
  })
  server.enqueue({ status: 500 })
  await rejection(client.complete({ messages: MESSAGES }))
  t.equal(client.breaker.state, 'open')

  now += 5_000
  t.equal(client.breaker.state, 'half_open')
  server.enqueue({ status: 500 })
  t.equal((await rejection(client.complete({ messages: MESSAGES }))).kind, 'http')
  t.equal(client.breaker.state, 'open', 'failed probe reopens')

  now += 5_000
  server.enqueue({ text: 'Recovered [1].', delayMs: 50 })
  const probe = client.complete({ messages: MESSAGES })
  t.equal((await rejection(client.complete({ messages: MESSAGES }))).kind, 'circuit_open', 'only one probe at a time')
  t.equal((await probe).text, 'Recovered [1].')
  t.equal(client.breaker.state, 'closed')
  t.same(states, ['open', 'half_open', 'open', 'half_open', 'closed'])
})

test('a side call (breaker: observe) has its own deadline, retries and reply cap, is not counted, and waits for a closed circuit',
  async (t) => {
    let now = 1_000
    const { server, client } = await setup(t, {
      maxRetries: 2, timeoutMs: 5_000, breaker: { threshold: 1, cooldownMs: 5_000, now: () => now }
    })
    const side = { messages: MESSAGES, breaker: 'observe' as const, maxRetries: 0, timeoutMs: 100, maxTokens: 4 }

    server.enqueue({ hang: true })
    const late = await rejection(client.complete(side))
    t.equal(late.kind, 'timeout')
    t.match(late.message, /exceeded 100 ms/, 'its own deadline, not the client\'s')
    server.enqueue({ status: 500 })
    t.equal((await rejection(client.complete(side))).kind, 'http', 'not retried (a retry would get the default answer)')
    t.equal(server.requests.length, 2)
    server.enqueue({ text: 'x'.repeat(200) })
    t.equal((await rejection(client.complete(side))).kind, 'too_large', 'a reply far past its max_tokens is cut off')
    t.equal(client.breaker.state, 'closed', 'its failures are not counted (threshold 1)')
    t.equal(client.breaker.consecutiveFailures, 0)

    server.reset()
    server.enqueue({ status: 500 })
    await rejection(client.complete({ messages: MESSAGES, maxRetries: 0 }))
    t.equal(client.breaker.state, 'open')
    t.equal((await rejection(client.complete(side))).kind, 'circuit_open')
    now += 5_000
    t.equal(client.breaker.state, 'half_open')
    t.equal((await rejection(client.complete(side))).kind, 'circuit_open', 'a half-open circuit\'s probe is left to an answer')
    t.equal(server.requests.length, 1, 'nothing sent while the circuit is not closed')
    server.enqueue({ text: 'Recovered [1].' })
    t.equal((await client.complete({ messages: MESSAGES })).text, 'Recovered [1].', 'the answer takes the probe')
    t.equal(client.breaker.state, 'closed')
    server.enqueue({ text: 'What is the PTO policy?' })
    t.equal((await client.complete(side)).text, 'What is the PTO policy?')
    t.match(server.requests.at(-1)?.body, { max_tokens: 4 })
  })

test('a server that never answers hits the first-byte timeout and is cancelled', async (t) => {
  const { server, client } = await setup(t, { firstByteTimeoutMs: 100, timeoutMs: 5_000, maxRetries: 0 })
  server.enqueue({ hang: true })
  const started = Date.now()
  const err = await rejection(client.complete({ messages: MESSAGES }))
  const elapsed = Date.now() - started
  t.equal(err.kind, 'timeout')
  t.match(err.message, /no response within 100 ms/)
  t.ok(elapsed >= 90 && elapsed < 1_000, `took ${elapsed} ms`)
  await server.requests[0]?.closed
  t.equal(server.requests[0]?.aborted, true)
  t.equal(client.breaker.consecutiveFailures, 1, 'timeouts count against the circuit')
})

test('the whole-request deadline ends a slow stream and is not retried after tokens', async (t) => {
  const { server, client } = await setup(t, { timeoutMs: 300, firstByteTimeoutMs: 200 })
  server.enqueue({ text: 'word '.repeat(40).trim(), tokenDelayMs: 30 })
  const started = Date.now()
  const result = await collect(client.stream({ messages: MESSAGES }))
  const elapsed = Date.now() - started
  const err = asLlmError(result.error)
  t.equal(err.kind, 'timeout')
  t.match(err.message, /exceeded 300 ms/)
  t.ok(result.tokens > 0 && result.tokens < 40, `${result.tokens} tokens before the deadline`)
  t.ok(elapsed >= 280 && elapsed < 1_000, `took ${elapsed} ms`)
  await server.requests[0]?.closed
  t.equal(server.requests.length, 1)
  t.equal(server.requests[0]?.aborted, true)
})

test('a stream that stalls between chunks hits the idle timeout', async (t) => {
  const { server, client } = await setup(t, { firstByteTimeoutMs: 150, timeoutMs: 5_000 })
  server.enqueue({ text: 'one two three four', stallAfterTokens: 2 })
  const result = await collect(client.stream({ messages: MESSAGES }))
  t.equal(result.text, 'one two')
  t.match(asLlmError(result.error), { kind: 'timeout', message: /stalled for 150 ms/ })
  t.equal(server.requests.length, 1)
})

test('malformed JSON and missing choices are malformed errors, not retried', async (t) => {
  const { server, client } = await setup(t)
  server.enqueue({ body: '{"choices": [' })
  t.match(await rejection(client.complete({ messages: MESSAGES })), { kind: 'malformed', retryable: false })
  server.enqueue({ body: '{"id": "x", "model": "m"}' })
  t.match(await rejection(client.complete({ messages: MESSAGES })), { kind: 'malformed', message: /choices/ })
  server.enqueue({ body: '[1, 2]' })
  t.equal((await rejection(client.complete({ messages: MESSAGES }))).kind, 'malformed')
  server.enqueue({ raw: ['data: {"choices": [{"delta": {"content": "Hi"}}]}\n\n', 'data: {not json}\n\n'] })
  const streamed = await collect(client.stream({ messages: MESSAGES }))
  t.equal(streamed.text, 'Hi')
  t.equal(asLlmError(streamed.error).kind, 'malformed')
  t.equal(server.requests.length, 4)
})

test('provider errors sent with status 200 become http errors', async (t) => {
  const { server, client } = await setup(t, { maxRetries: 0 })
  server.enqueue({ body: JSON.stringify({ error: { message: 'Provider returned error', code: 502 } }) })
  t.match(await rejection(client.complete({ messages: MESSAGES })), { kind: 'http', status: 502, message: /Provider returned error/ })

  server.enqueue({ text: 'Partial answer', streamError: { message: 'model crashed', code: 502 } })
  const streamed = await collect(client.stream({ messages: MESSAGES }))
  t.equal(streamed.text, 'Partial answer')
  t.match(asLlmError(streamed.error), { kind: 'http', status: 502, message: /model crashed/ })
})

test('a mid-stream error before any token is retried', async (t) => {
  const { server, client } = await setup(t)
  server.enqueue({ tokens: [], streamError: { message: 'overloaded', code: 503 } }, { text: 'Second try.' })
  const result = await collect(client.stream({ messages: MESSAGES }))
  t.error(result.error)
  t.equal(result.text, 'Second try.')
  t.equal(server.requests.length, 2)
})

test('a stream cut midway fails with a network error and is not retried after tokens', async (t) => {
  const { server, client } = await setup(t)
  server.enqueue({ text: 'one two three four five', cutAfterTokens: 2, tokenDelayMs: 5 })
  const result = await collect(client.stream({ messages: MESSAGES }))
  t.equal(result.text, 'one two')
  t.match(asLlmError(result.error), { kind: 'network', retryable: true })
  t.equal(server.requests.length, 1)
  t.equal(client.breaker.consecutiveFailures, 1)
})

test('a stream cut before the first token is retried', async (t) => {
  const { server, client } = await setup(t)
  server.enqueue({ cutAfterTokens: 0 }, { text: 'After the cut.' })
  const result = await collect(client.stream({ messages: MESSAGES }))
  t.error(result.error)
  t.equal(result.text, 'After the cut.')
  t.equal(server.requests.length, 2)
})

test('a stream that ends without [DONE] or a finish reason is an error', async (t) => {
  const { server, client } = await setup(t, { maxRetries: 0 })
  server.enqueue({ raw: ['data: {"choices": [{"delta": {"content": "Half"}}]}\n\n'] })
  const result = await collect(client.stream({ messages: MESSAGES }))
  t.equal(result.text, 'Half')
  t.match(asLlmError(result.error), { kind: 'network', message: /ended before completion/ })

  server.enqueue({ text: 'Finished but no done marker.', omitDone: true })
  const lenient = await collect(client.stream({ messages: MESSAGES }))
  t.error(lenient.error)
  t.match(lenient.done, { type: 'done', finish_reason: 'stop' })
})

test("the caller's abort cancels the upstream stream", async (t) => {
  const { server, client } = await setup(t)
  server.enqueue({ text: 'word '.repeat(50).trim(), tokenDelayMs: 20 })
  const controller = new AbortController()
  let tokens = 0
  const err = await rejection((async () => {
    for await (const event of client.stream({ messages: MESSAGES, signal: controller.signal })) {
      if (event.type === 'token' && ++tokens === 3) controller.abort()
    }
  })())
  t.equal(err.kind, 'aborted')
  t.equal(err.retryable, false)
  const req = await server.waitForRequest(0)
  await req.closed
  t.equal(req.aborted, true, 'the server saw the connection close early')
  t.equal(server.requests.length, 1)
  t.equal(client.breaker.consecutiveFailures, 0, 'aborts do not count against the circuit')
})

test("the caller's abort cancels a pending complete and a backoff wait", async (t) => {
  const { server, client } = await setup(t)
  server.enqueue({ hang: true })
  const controller = new AbortController()
  const pending = client.complete({ messages: MESSAGES, signal: controller.signal })
  const req = await server.waitForRequest(0)
  controller.abort()
  t.equal((await rejection(pending)).kind, 'aborted')
  await req.closed
  t.equal(req.aborted, true)

  server.enqueue({ status: 429, headers: { 'retry-after': '1' } })
  const backoff = new AbortController()
  const waiting = client.complete({ messages: MESSAGES, signal: backoff.signal })
  await server.waitForRequest(1)
  setTimeout(() => backoff.abort(), 30)
  const started = Date.now()
  t.equal((await rejection(waiting)).kind, 'aborted')
  t.ok(Date.now() - started < 1_000)
  t.equal(server.requests.length, 2)

  t.equal((await rejection(client.complete({ messages: MESSAGES, signal: AbortSignal.abort() }))).kind, 'aborted')
  t.equal(server.requests.length, 2, 'an already-aborted call sends nothing')
  t.equal(client.breaker.consecutiveFailures, 0)
})

test('breaking out of a stream early cancels the upstream request', async (t) => {
  const { server, client } = await setup(t)
  server.enqueue({ text: 'word '.repeat(50).trim(), tokenDelayMs: 20 })
  for await (const event of client.stream({ messages: MESSAGES })) {
    if (event.type === 'token') break
  }
  const req = await server.waitForRequest(0)
  await req.closed
  t.equal(req.aborted, true)
  t.equal(client.breaker.state, 'closed')
  t.equal(client.breaker.consecutiveFailures, 0)
})

test('the API key never appears in error messages', async (t) => {
  const { server, client } = await setup(t, { maxRetries: 0 })
  server.enqueue({ status: 401, body: JSON.stringify({ error: { message: `Invalid API key ${KEY}`, code: 401 } }) })
  const err = await rejection(client.complete({ messages: MESSAGES }))
  t.equal(err.kind, 'http')
  t.equal(err.status, 401)
  t.notMatch(err.message, KEY)
  t.match(err.message, /Invalid API key \[redacted\]/)
  t.notMatch(JSON.stringify(err), KEY)
  t.notMatch(String(err.stack), KEY)

  server.enqueue({ body: `{"oops": "${KEY}"` })
  const malformed = await rejection(client.complete({ messages: MESSAGES }))
  t.notMatch(malformed.message, KEY)
})

test('keep-alive: sequential calls reuse connections', async (t) => {
  const { server, client } = await setup(t)
  for (let i = 0; i < 3; i++) await client.complete({ messages: MESSAGES })
  for (let i = 0; i < 2; i++) t.error((await collect(client.stream({ messages: MESSAGES }))).error)
  const ports = new Set(server.requests.map((r) => r.remotePort))
  t.equal(server.requests.length, 5)
  t.ok(ports.size <= 2, `${ports.size} sockets for five requests`)
})

test('a reply past MAX_TOKENS with headroom is cut off: too many chunks, characters or bytes', async (t) => {
  const { server, client } = await setup(t, { maxTokens: 10, maxRetries: 0 })
  server.enqueue({ tokens: Array.from({ length: 200 }, () => 'a'), tokenDelayMs: 2 })
  const chunks = await collect(client.stream({ messages: MESSAGES }))
  t.equal(asLlmError(chunks.error).kind, 'too_large')
  t.equal(chunks.tokens, 10 * 2 + 16, 'stopped at the chunk limit')
  await server.requests[0]?.closed
  t.equal(server.requests[0]?.aborted, true, 'the upstream response was abandoned')

  server.enqueue({ tokens: ['x'.repeat(100), 'y'.repeat(100)] })
  const long = await collect(client.stream({ messages: MESSAGES }))
  t.match(asLlmError(long.error), { kind: 'too_large', message: /160 characters/ })

  server.enqueue({ text: 'z'.repeat(400) })
  t.match(await rejection(client.complete({ messages: MESSAGES })), { kind: 'too_large', message: /characters/ })
})

test('a response body past maxResponseBytes is not read further, streamed or not', async (t) => {
  const { server, client } = await setup(t, { maxResponseBytes: 2048, maxRetries: 0 })
  server.enqueue({ body: JSON.stringify({ choices: [{ message: { content: 'a'.repeat(5000) } }] }) })
  t.match(await rejection(client.complete({ messages: MESSAGES })), { kind: 'too_large', message: /2048 bytes/ })
  // One endless SSE line: no event ever completes, so only the byte count can stop it.
  server.enqueue({ raw: Array.from({ length: 50 }, () => 'data: ' + 'b'.repeat(1000)) })
  const endless = await collect(client.stream({ messages: MESSAGES }))
  t.equal(asLlmError(endless.error).kind, 'too_large')
  t.equal(client.breaker.state, 'closed', 'two failures stay under the breaker threshold')
})
