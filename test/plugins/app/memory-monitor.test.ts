import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { runInNewContext } from 'node:vm'
import { setFlagsFromString } from 'node:v8'
import { buildApp } from '../../../app.js'
import { ConfigError } from '../../../lib/config.js'
import { ForcedGcPolicy, memoryLevel, readCgroupLimit, resolveMemoryLimit } from '../../../lib/ops/memory.js'
import { build, captureLogs, sharedEmbedder } from '../../helper.js'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const MB = 1024 * 1024
// A shedding threshold of a few MB: any process is over it.
const UNDER_PRESSURE = { MEMORY_WARNING_FRACTION: 0.001, MEMORY_PRESSURE_FRACTION: 0.002 }

t.test('the memory limit: the smaller of cgroup and config, else 512 MB', async (t) => {
  t.same(resolveMemoryLimit(0, undefined), { bytes: 512 * MB, source: 'default' })
  t.same(resolveMemoryLimit(256, undefined), { bytes: 256 * MB, source: 'config' })
  t.same(resolveMemoryLimit(0, 1024 * MB), { bytes: 1024 * MB, source: 'cgroup' })
  t.same(resolveMemoryLimit(256, 1024 * MB), { bytes: 256 * MB, source: 'config' })
  t.same(resolveMemoryLimit(2048, 1024 * MB), { bytes: 1024 * MB, source: 'cgroup' })
})

t.test('cgroup files: v2 "max" and v1 huge values mean no limit; numbers are limits', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cgroup-'))
  const file = (name: string, text: string): string => { const p = join(dir, name); writeFileSync(p, text); return p }
  t.equal(readCgroupLimit([file('v2max', 'max\n')]), undefined)
  t.equal(readCgroupLimit([file('v2', '536870912\n')]), 536870912)
  t.equal(readCgroupLimit([file('v1', '9223372036854771712\n')]), undefined)
  t.equal(readCgroupLimit([join(dir, 'missing'), file('v1b', '268435456')]), 268435456, 'falls through to the v1 file')
  t.equal(readCgroupLimit([join(dir, 'missing')]), undefined)
})

t.test('memory levels', async (t) => {
  t.equal(memoryLevel(0.5, 0.7, 0.85), 'ok')
  t.equal(memoryLevel(0.75, 0.7, 0.85), 'warning')
  t.equal(memoryLevel(0.9, 0.7, 0.85), 'pressure')
})

t.test('over the memory limit: search and chat shed with 503 + Retry-After, health answers and says pressure', async (t) => {
  const logs = captureLogs()
  const app = await build(
    t,
    { ...UNDER_PRESSURE, PRESSURE_SAMPLE_INTERVAL_MS: 10, RETRY_AFTER_S: 7, LOG_LEVEL: 'info' },
    { logger: true, logStream: logs.stream, embedder: sharedEmbedder() }
  )
  await app.ready()
  await sleep(60)
  const search = await app.inject({ method: 'POST', url: '/search', payload: { query: 'vacation days' } })
  t.equal(search.statusCode, 503)
  t.equal(search.headers['retry-after'], '7')
  t.match(search.json(), { statusCode: 503, error: 'Service Unavailable', message: /pressure/ })
  const chat = await app.inject({ method: 'POST', url: '/chat', payload: { question: 'How many vacation days do I get?' } })
  t.equal(chat.statusCode, 503)
  t.equal(chat.headers['retry-after'], '7')

  const health = await app.inject('/health')
  t.equal(health.statusCode, 200)
  t.equal(health.json().components.memory_manager, 'pressure')
  t.equal(health.json().status, 'degraded')
  t.equal((await app.inject('/memory')).statusCode, 200)
  t.equal((await app.inject('/metrics')).statusCode, 200)
  t.equal((await app.inject('/documents')).statusCode, 200, 'cheap reads still answer')

  const warnings = logs.lines().filter((l) => l.includes('memory pressure'))
  t.equal(warnings.length, 1, 'one warning line per crossing, not one per sample or request')
})

t.test('event-loop stalls shed load, and service resumes when the stall ends', async (t) => {
  const app = await build(t, { MAX_EVENT_LOOP_DELAY_MS: 30, PRESSURE_SAMPLE_INTERVAL_MS: 200 }, { embedder: sharedEmbedder() })
  await app.ready()
  // Start-up itself (module compilation, the first queries) can delay the loop past 30 ms: wait until it is calm.
  let calm = false
  for (let i = 0; i < 40 && !calm; i++) {
    await sleep(100)
    calm = (await app.inject({ method: 'POST', url: '/search', payload: { query: 'pto', mode: 'keyword' } })).statusCode === 200
  }
  t.ok(calm, 'fine before the stall')
  const until = Date.now() + 400
  while (Date.now() < until) { /* block the event loop, as a runaway computation would */ }
  await sleep(10)
  const during = await app.inject({ method: 'POST', url: '/search', payload: { query: 'pto', mode: 'keyword' } })
  t.equal(during.statusCode, 503, 'shed after the stall was measured')
  t.equal((await app.inject('/health')).statusCode, 200, 'health still answers')
  let resumed = false
  for (let i = 0; i < 60 && !resumed; i++) {
    await sleep(50)
    resumed = (await app.inject({ method: 'POST', url: '/search', payload: { query: 'pto', mode: 'keyword' } })).statusCode === 200
  }
  t.ok(resumed, 'search answers again once the loop is responsive')
})

t.test('a MEMORY_LIMIT_MB below the memory in use at start-up refuses to start, with one line', async (t) => {
  const err = await buildApp({ env: {}, logger: false, config: { MEMORY_LIMIT_MB: 16 } }).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof ConfigError, 'a ConfigError, which the server prints as one line')
  t.match((err as Error).message, /^Invalid configuration: MEMORY_LIMIT_MB \(16\) is below the memory in use at start-up \(\d+ MB\)/)
  t.notMatch((err as Error).message, /\n/)
})

t.test('a shedding threshold already exceeded at start-up is logged once as a warning', async (t) => {
  const logs = captureLogs()
  await build(t, { ...UNDER_PRESSURE, LOG_LEVEL: 'warn' }, { logger: true, logStream: logs.stream, embedder: sharedEmbedder() })
  t.equal(logs.lines().filter((l) => l.includes('already exceeded at start-up')).length, 1)
})

t.test('forced collections: one as an episode starts, then at most one per interval, and only when the heap grew', async (t) => {
  const policy = new ForcedGcPolicy(60_000, 4 * MB)
  t.equal(policy.shouldCollect('ok', 100 * MB, 0), false, 'no pressure, no collection')
  t.equal(policy.shouldCollect('pressure', 100 * MB, 1000), true, 'the episode starts')
  t.equal(policy.collected(100 * MB, 60 * MB, 1000), 40 * MB, 'what it freed')
  for (let now = 2000; now < 60_000; now += 1000) t.equal(policy.shouldCollect('pressure', 90 * MB, now), false)
  t.equal(policy.shouldCollect('pressure', 90 * MB, 61_000), true, 'a minute later, the heap having grown')
  policy.collected(90 * MB, 89 * MB, 61_000)
  t.equal(policy.shouldCollect('pressure', 90 * MB, 122_000), false, 'the heap has not grown since: nothing to free')
  t.equal(policy.shouldCollect('warning', 90 * MB, 123_000), false, 'the episode ends')
  t.equal(policy.shouldCollect('pressure', 90 * MB, 124_000), false, 'a new episode, but the heap is where the last collection left it')
  t.equal(policy.shouldCollect('pressure', 95 * MB, 125_000), true, 'the heap grew, and the last collection is over a minute old')
  policy.collected(95 * MB, 80 * MB, 125_000)
  t.equal(policy.shouldCollect('pressure', 99 * MB, 126_000), false, 'not twice in an episode within the interval')
  t.equal(policy.shouldCollect('ok', 99 * MB, 127_000), false)
  t.equal(policy.shouldCollect('pressure', 99 * MB, 128_000), true, 'a new episode with a grown heap')
})

t.test('under sustained pressure the monitor forces one real collection, not one per sample', async (t) => {
  setFlagsFromString('--expose-gc')
  const realGc = runInNewContext('gc') as () => void
  const previous = global.gc
  let calls = 0
  global.gc = (() => { calls++; realGc() }) as typeof global.gc
  t.teardown(() => { global.gc = previous })
  const app = await build(t, { ...UNDER_PRESSURE, PRESSURE_SAMPLE_INTERVAL_MS: 10 }, { embedder: sharedEmbedder() })
  await app.ready()
  await sleep(200)
  t.equal(calls, 1, 'about 20 samples under pressure, one collection')
  t.equal(app.memoryMonitor.snapshot().forcedGcs, 1, 'counted')
  const metrics = await app.inject('/metrics')
  t.match(metrics.body, /^policy_rag_memory_forced_gc_total 1$/m)
})
