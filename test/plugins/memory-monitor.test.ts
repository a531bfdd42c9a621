import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { memoryLevel, readCgroupLimit, resolveMemoryLimit } from '../../lib/memory.js'
import { build, captureLogs } from '../helper.js'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const MB = 1024 * 1024

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
  const app = await build(t, { MEMORY_LIMIT_MB: 16, PRESSURE_SAMPLE_INTERVAL_MS: 10, RETRY_AFTER_S: 7, LOG_LEVEL: 'info' }, { logger: true, logStream: logs.stream })
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
  const app = await build(t, { MAX_EVENT_LOOP_DELAY_MS: 30, PRESSURE_SAMPLE_INTERVAL_MS: 200 })
  await app.ready()
  await sleep(120)
  t.equal((await app.inject({ method: 'POST', url: '/search', payload: { query: 'pto', mode: 'keyword' } })).statusCode, 200, 'fine before the stall')
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
