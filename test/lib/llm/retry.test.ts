import { test } from 'tap'
import { parseRetryAfter, retryDelay } from '../../../lib/llm/retry.js'

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
