import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { countsSince, shedReason } from '../../../tools/lib/shed-reason.js'
import { build, captureLogs } from '../../helper.js'

t.test('the reason is read from the log line the server writes when it sheds a request', async (t) => {
  const logs = captureLogs()
  // A shedding threshold of a few MB: any process is over it, so the reason is the RSS.
  const app = await build(
    t,
    { MEMORY_WARNING_FRACTION: 0.001, MEMORY_PRESSURE_FRACTION: 0.002, PRESSURE_SAMPLE_INTERVAL_MS: 10, LOG_LEVEL: 'warn' },
    { logger: true, logStream: logs.stream }
  )
  await app.ready()
  await sleep(60)
  t.equal((await app.inject({ method: 'POST', url: '/search', payload: { query: 'vacation days' } })).statusCode, 503)
  const reasons = logs.lines().map(shedReason).filter((r) => r !== undefined)
  t.same(reasons, ['rssBytes'], 'one shed request, shed for its RSS')
})

t.test('other lines have no reason', async (t) => {
  t.equal(shedReason('{"level":40,"msg":"memory pressure: utilisation above the pressure threshold"}'), undefined)
  t.equal(shedReason('{"level":40,"msg":"request refused","message":"The policy index is unavailable: closed"}'), undefined)
  t.equal(shedReason('request refused (eventLoopDelay) but not JSON'), undefined)
})

t.test('counts since a snapshot: only what grew', async (t) => {
  t.same(countsSince({ eventLoopDelay: 3 }, { eventLoopDelay: 5, rssBytes: 2 }), { eventLoopDelay: 2, rssBytes: 2 })
  t.same(countsSince({ eventLoopDelay: 3 }, { eventLoopDelay: 3 }), {})
})
