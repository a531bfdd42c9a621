/**
 * How fast chats are answered once the LLM circuit breaker is open: the real app (buildApp, real model and index) behind
 * an LLM that never answers, 30 concurrent clients asking 3 questions each (tools/lib/breaker-flood). The first wave
 * waits for the LLM timeout until three timeouts open the breaker; every later chat should get its extractive fallback
 * at once. Prints p50/p99 of the chats asked with the breaker open against the budget (30 % of the LLM timeout); exits
 * 1 over budget. test/faults.test.ts checks the same scenario's behaviour, not its speed.
 *
 * The last line printed is one JSON object. Usage: npm run bench:breaker [-- --timeout-ms 3000]
 */
import { parseArgs } from 'node:util'
import { buildApp } from '../app.js'
import { percentile } from './bench-util.js'
import { breakerFlood, breakerFloodConfig } from './lib/breaker-flood.js'
import { startFakeLlmServer } from './lib/fake-llm-server.js'

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { 'timeout-ms': { type: 'string', default: '3000' } } })
  const timeoutMs = Number(values['timeout-ms'])
  const llm = await startFakeLlmServer({ default: { hang: true } })
  const app = await buildApp({ env: {}, logger: false, config: { RATE_LIMIT_MAX: 0, ...breakerFloodConfig(llm.url, timeoutMs) } })
  try {
    const samples = await breakerFlood(app)
    const after = samples.filter((s) => s.afterOpen).map((s) => s.ms)
    const budgetMs = timeoutMs * 0.3
    const figures = {
      chats: samples.length,
      after_open: after.length,
      p50_ms: Math.round(percentile(after, 50)),
      p99_ms: Math.round(percentile(after, 99)),
      budget_p99_ms: budgetMs,
      llm_timeout_ms: timeoutMs
    }
    console.log(`breaker open: ${after.length} of ${samples.length} chats, p50 ${figures.p50_ms} ms, p99 ${figures.p99_ms} ms ` +
      `(budget ${budgetMs} ms: 30 % of the ${timeoutMs} ms LLM timeout)`)
    console.log(JSON.stringify(figures))
    if (figures.p99_ms >= budgetMs) process.exitCode = 1
  } finally {
    await app.close()
    await llm.close()
  }
}

await main()
