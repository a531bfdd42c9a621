// The LLM client's small pure parts (lib/llm: retry, settings, sse, circuit-breaker) in one file: tap's
// process per file (~1.4 s CPU here) cost more than their cases together. The client itself has client.test.ts.
import fc from 'fast-check'
import { test } from 'tap'
import { CircuitBreaker, type BreakerState } from '../../../lib/llm/circuit-breaker.js'
import { configDefault } from '../../../lib/config.js'
import { LlmError } from '../../../lib/llm/errors.js'
import { parseRetryAfter, retryDelay } from '../../../lib/llm/retry.js'
import { describeBaseUrl, isOpenRouter, llmSettings } from '../../../lib/llm/settings.js'
import { parseSse, SseParser, type SseEvent } from '../../../lib/llm/sse.js'

// ---- lib/llm/retry.ts ----------------------------------------------------------------------------------------

test('parseRetryAfter reads seconds and HTTP-dates', async (t) => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')
  t.equal(parseRetryAfter('3', now), 3_000)
  t.equal(parseRetryAfter(' 0.25 ', now), 250)
  t.equal(parseRetryAfter(['2', '9'], now), 2_000)
  t.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', now), 5_000)
  t.equal(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now), 0, 'a date in the past means now')
  t.equal(parseRetryAfter(undefined, now), undefined)
  t.equal(parseRetryAfter('', now), undefined)
  t.equal(parseRetryAfter('soon', now), undefined)
  t.equal(parseRetryAfter('-1', now), undefined)
})

test('retryDelay: equal-jitter exponential backoff, capped', async (t) => {
  const opts = { baseMs: 100, maxMs: 1_000 }
  t.equal(retryDelay(0, undefined, { ...opts, random: () => 0 }), 50)
  t.equal(retryDelay(0, undefined, { ...opts, random: () => 1 }), 100)
  t.equal(retryDelay(2, undefined, { ...opts, random: () => 0 }), 200)
  t.equal(retryDelay(10, undefined, { ...opts, random: () => 1 }), 1_000)
  for (let i = 0; i < 50; i++) {
    const d = retryDelay(1, undefined, opts) ?? -1
    t.ok(d >= 100 && d <= 200)
  }
})

test('retryDelay honours Retry-After up to the cap', async (t) => {
  t.equal(retryDelay(0, 3_000, { maxRetryAfterMs: 5_000 }), 3_000)
  t.equal(retryDelay(0, 6_000, { maxRetryAfterMs: 5_000 }), null)
  t.equal(retryDelay(0, 0), 0)
})

// ---- lib/llm/settings.ts -------------------------------------------------------------------------------------

test('OpenRouter without a key is not configured', async (t) => {
  t.same(llmSettings({}), { configured: false, reason: 'LLM_API_KEY is not set' })
  t.same(llmSettings({ LLM_BASE_URL: configDefault('LLM_BASE_URL'), OPENROUTER_API_KEY: '  ' }).configured, false)
})

test('a key configures OpenRouter with every setting passed through', async (t) => {
  const settings = llmSettings({
    OPENROUTER_API_KEY: 'sk-or-v1-abc',
    LLM_MODEL: 'openai/gpt-4o-mini',
    MAX_TOKENS: 300,
    LLM_TEMPERATURE: 0,
    LLM_TIMEOUT_MS: 20_000,
    LLM_FIRST_BYTE_TIMEOUT_MS: 5_000,
    LLM_MAX_RETRIES: 1,
    LLM_BREAKER_THRESHOLD: 3,
    LLM_BREAKER_COOLDOWN_MS: 10_000
  }, { appName: 'policy-rag' })
  t.same(settings, {
    configured: true,
    options: {
      baseUrl: configDefault('LLM_BASE_URL'),
      apiKey: 'sk-or-v1-abc',
      model: 'openai/gpt-4o-mini',
      maxTokens: 300,
      temperature: 0,
      timeoutMs: 20_000,
      firstByteTimeoutMs: 5_000,
      maxRetries: 1,
      breaker: { threshold: 3, cooldownMs: 10_000 },
      appName: 'policy-rag'
    }
  })
})

test('any other base URL works without a key', async (t) => {
  const settings = llmSettings({ LLM_BASE_URL: 'http://127.0.0.1:11434/v1' })
  t.equal(settings.configured, true)
  if (settings.configured) {
    t.equal(settings.options.apiKey, undefined)
    t.equal(settings.options.baseUrl, 'http://127.0.0.1:11434/v1')
  }
})

test('isOpenRouter and describeBaseUrl', async (t) => {
  t.ok(isOpenRouter('https://openrouter.ai/api/v1'))
  t.ok(isOpenRouter('https://eu.openrouter.ai/api/v1'))
  t.notOk(isOpenRouter('https://notopenrouter.ai/v1'))
  t.notOk(isOpenRouter('not a url'))
  t.equal(describeBaseUrl('http://user:secret@llm.internal:8000/v1?key=x'), 'http://llm.internal:8000')
  t.equal(describeBaseUrl('nope'), '(invalid URL)')
})

// ---- lib/llm/sse.ts ------------------------------------------------------------------------------------------

function parseAll (chunks: Array<Uint8Array | string>): SseEvent[] {
  const parser = new SseParser()
  const events = chunks.flatMap((chunk) => parser.push(chunk))
  return [...events, ...parser.end()]
}

test('data lines, event names, ids, retry and comments', async (t) => {
  const events = parseAll([
    ': keepalive\n',
    'event: token\nid: 7\nretry: 1500\ndata: {"text":"hi"}\n\n',
    'data: [DONE]\n\n'
  ])
  t.same(events, [
    { event: 'token', data: '{"text":"hi"}', id: '7', retry: 1500 },
    { event: 'message', data: '[DONE]', id: '7' }
  ])
})

test('multi-line data joins with newlines; one optional space after the colon', async (t) => {
  t.same(parseAll(['data:first\ndata:  second\ndata\n\n']), [{ event: 'message', data: 'first\n second\n' }])
})

test('CRLF, CR and LF line endings, and a CRLF split between chunks', async (t) => {
  const expected = [{ event: 'message', data: 'a' }, { event: 'message', data: 'b' }, { event: 'message', data: 'c' }]
  t.same(parseAll(['data: a\r\n\r\ndata: b\r\rdata: c\n\n']), expected)
  t.same(parseAll(['data: a\r', '\n\r', '\ndata: b\r', '\r', 'data: c\n', '\n']), expected)
})

test('events without data are not dispatched; an unterminated last event is dropped', async (t) => {
  t.same(parseAll(['event: ping\n\n: comment only\n\n', 'data: kept\n\n', 'data: cut off']), [{ event: 'message', data: 'kept' }])
})

test('a UTF-8 character split across chunks and a leading BOM', async (t) => {
  const bytes = Buffer.from('\uFEFFdata: café ☕\n\n')
  const at = bytes.indexOf(0xe2) + 1
  t.same(parseAll([bytes.subarray(0, at), bytes.subarray(at)]), [{ event: 'message', data: 'café ☕' }])
})

test('unknown fields are ignored; an invalid retry is ignored', async (t) => {
  t.same(parseAll(['foo: bar\nretry: soon\ndata: x\n\n']), [{ event: 'message', data: 'x' }])
})

test('parseSse reads an async byte stream', async (t) => {
  async function * source (): AsyncGenerator<Uint8Array> {
    yield Buffer.from('data: one\n')
    yield Buffer.from('\ndata: two\n\n')
  }
  const events: SseEvent[] = []
  for await (const event of parseSse(source())) events.push(event)
  t.same(events.map((e) => e.data), ['one', 'two'])
})

const fieldText = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ':', '{', '"', 'é', '☕', '𝄞', '0'), maxLength: 12 })
const lineEnd = fc.constantFrom('\n', '\r\n', '\r')
const arbEvent = fc.record({
  event: fc.option(fc.constantFrom('token', 'done', 'error'), { nil: undefined }),
  lines: fc.array(fieldText, { minLength: 1, maxLength: 3 }),
  comment: fc.boolean()
})

test('property: splitting the byte stream anywhere yields the same events', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.tuple(arbEvent, lineEnd), { maxLength: 6 }),
    fc.array(fc.nat(), { maxLength: 8 }),
    (specs, cutSeeds) => {
      let wire = ''
      const expected: SseEvent[] = []
      for (const [spec, nl] of specs) {
        if (spec.comment) wire += `: keepalive${nl}`
        if (spec.event !== undefined) wire += `event: ${spec.event}${nl}`
        for (const line of spec.lines) wire += `data: ${line}${nl}`
        wire += nl
        expected.push({ event: spec.event ?? 'message', data: spec.lines.join('\n') })
      }
      const bytes = Buffer.from(wire)
      const cuts = [...new Set(cutSeeds.map((seed) => bytes.length === 0 ? 0 : seed % (bytes.length + 1)))].sort((a, b) => a - b)
      const chunks: Uint8Array[] = []
      let from = 0
      for (const at of [...cuts, bytes.length]) {
        chunks.push(bytes.subarray(from, at))
        from = at
      }
      const whole = parseAll([bytes])
      const split = parseAll(chunks)
      return JSON.stringify(whole) === JSON.stringify(expected) && JSON.stringify(split) === JSON.stringify(expected)
    }
  ), { numRuns: 500 })
  t.pass('500 random streams and splits agreed')
})

// ---- lib/llm/circuit-breaker.ts ------------------------------------------------------------------------------

function breaker (opts: { threshold?: number, cooldownMs?: number } = {}): {
  cb: CircuitBreaker
  clock: { now: number }
  changes: string[]
} {
  const clock = { now: 0 }
  const changes: string[] = []
  const cb = new CircuitBreaker({
    ...opts,
    now: () => clock.now,
    onStateChange: (state: BreakerState, previous: BreakerState) => changes.push(`${previous}->${state}`)
  })
  return { cb, clock, changes }
}

const fail = (): Promise<never> => Promise.reject(new Error('boom'))
const ok = (): Promise<string> => Promise.resolve('ok')

test('defaults: 5 failures, 30 s cooldown', async (t) => {
  const cb = new CircuitBreaker()
  t.equal(cb.threshold, 5)
  t.equal(cb.cooldownMs, 30_000)
  t.equal(cb.state, 'closed')
})

test('opens after N consecutive failures; a success in between resets the count', async (t) => {
  const { cb, changes } = breaker({ threshold: 3 })
  await t.rejects(cb.run(fail))
  await t.rejects(cb.run(fail))
  t.equal(await cb.run(ok), 'ok')
  t.equal(cb.consecutiveFailures, 0)
  for (let i = 0; i < 3; i++) await t.rejects(cb.run(fail))
  t.equal(cb.state, 'open')
  t.same(changes, ['closed->open'])
})

test('while open, calls fail fast with circuit_open and fn is not called', async (t) => {
  const { cb, clock } = breaker({ threshold: 1, cooldownMs: 1_000 })
  await t.rejects(cb.run(fail))
  clock.now = 400
  let called = false
  const err = await cb.run(async () => { called = true }).catch((e: unknown) => e)
  t.ok(err instanceof LlmError)
  t.match(err, { kind: 'circuit_open', retryable: true, retryAfterMs: 600 })
  t.notOk(called)
  t.equal(cb.retryInMs, 600)
  t.equal(cb.tryAcquire(), null)
})

test('half-open admits one probe; success closes', async (t) => {
  const { cb, clock, changes } = breaker({ threshold: 1, cooldownMs: 1_000 })
  await t.rejects(cb.run(fail))
  clock.now = 1_000
  t.equal(cb.state, 'half_open')
  const probe = cb.tryAcquire()
  t.ok(probe)
  t.equal(cb.tryAcquire(), null, 'a second caller is refused while the probe runs')
  probe?.success()
  t.equal(cb.state, 'closed')
  t.ok(cb.tryAcquire())
  t.same(changes, ['closed->open', 'open->half_open', 'half_open->closed'])
})

test('half-open probe failure reopens for another full cooldown', async (t) => {
  const { cb, clock } = breaker({ threshold: 2, cooldownMs: 1_000 })
  await t.rejects(cb.run(fail))
  await t.rejects(cb.run(fail))
  clock.now = 1_500
  await t.rejects(cb.run(fail))
  t.equal(cb.state, 'open')
  clock.now = 2_400
  t.equal(cb.state, 'open')
  clock.now = 2_500
  t.equal(cb.state, 'half_open')
})

test('a released probe (caller abort) lets the next caller probe', async (t) => {
  const { cb, clock } = breaker({ threshold: 1, cooldownMs: 10 })
  await t.rejects(cb.run(fail))
  clock.now = 10
  cb.tryAcquire()?.release()
  t.equal(cb.state, 'half_open')
  const next = cb.tryAcquire()
  t.ok(next)
  next?.success()
  t.equal(cb.state, 'closed')
})

test('errors that do not count release the permit', async (t) => {
  const { cb } = breaker({ threshold: 1 })
  await t.rejects(cb.run(fail, () => false))
  t.equal(cb.state, 'closed')
  t.equal(cb.consecutiveFailures, 0)
})

test('results of calls admitted before the circuit opened are ignored', async (t) => {
  const { cb } = breaker({ threshold: 1, cooldownMs: 1_000 })
  const slow = cb.acquire()
  cb.acquire().failure()
  t.equal(cb.state, 'open')
  slow.success()
  t.equal(cb.state, 'open', 'a stale success cannot close the circuit')
})

test('settling a permit twice counts once', async (t) => {
  const { cb } = breaker({ threshold: 2 })
  const permit = cb.acquire()
  permit.failure()
  permit.failure()
  t.equal(cb.consecutiveFailures, 1)
  t.equal(cb.state, 'closed')
})
