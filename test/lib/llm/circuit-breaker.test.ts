import { test } from 'tap'
import { CircuitBreaker, type BreakerState } from '../../../lib/llm/circuit-breaker.js'
import { LlmError } from '../../../lib/llm/errors.js'

function breaker (opts: { threshold?: number, cooldownMs?: number } = {}): { cb: CircuitBreaker, clock: { now: number }, changes: string[] } {
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
