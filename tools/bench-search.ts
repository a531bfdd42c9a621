/**
 * POST /search benchmark: the real app (buildApp, real model and index) on 127.0.0.1, hybrid search
 * with a rotating set of ordinary questions, autocannon at concurrency 1 and 10. Latency percentiles
 * are exact (every response time kept), not autocannon's whole-millisecond histogram. autocannon runs
 * in this process, so client and server share one event loop: req/s at concurrency 10 is a floor.
 *
 * The query-embedding cache is on, as in production, so after warm-up the rotating questions hit it;
 * the `c1_uncached` run repeats concurrency 1 with EMBEDDING_CACHE_SIZE=0, so every request runs the model.
 *
 * The last line printed is one JSON object: {"c1": {...}, "c10": {...}, "c1_uncached": {...},
 * "p50_ms", "p99_ms", "rps", "errors"} where the top-level figures are those of c1.
 *
 * Usage: bench-search [--duration 10] [--skip-uncached]
 */
import type { FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { buildApp } from '../app.js'
import type { AppConfig } from '../lib/config.js'
import { runLoad, type LoadResult, type MixedRequest } from './bench-util.js'

const QUESTIONS = [
  'How many vacation days do I get?',
  'Can I carry unused PTO into next year?',
  'Who approves my expense report?',
  'How often do I have to change my password?',
  'How much parental leave can I take?',
  'Can I work from another country for a month?',
  'What do I do if I am sick and cannot come to work?',
  'Is overtime paid for weekend work?',
  'Can I accept a gift from a supplier?',
  'How do I report a safety hazard in the office?'
]

const P50_BUDGET_MS = 10

type RunFigures = LoadResult & { connections: number, seconds: number }

const SEARCHES: MixedRequest[] = QUESTIONS.map((query) => ({
  method: 'POST',
  path: '/search',
  body: () => ({ query, mode: 'hybrid', top_k: 5 })
}))

async function run (url: string, connections: number, seconds: number): Promise<RunFigures> {
  return { connections, seconds, ...await runLoad({ url, connections, seconds, mix: SEARCHES, timeoutS: 10 }) }
}

async function startApp (config: Partial<AppConfig>): Promise<{ app: FastifyInstance, url: string }> {
  const app = await buildApp({ env: {}, logger: false, config: { RATE_LIMIT_MAX: 0, PORT: 0, ...config } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` }
}

/** Every question answers with results (a benchmark of failures measures nothing), then a short run. */
async function warmUp (url: string): Promise<void> {
  for (const query of QUESTIONS) {
    const res = await fetch(`${url}/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, mode: 'hybrid' })
    })
    const body = await res.json() as { results?: unknown[] }
    if (res.status !== 200 || (body.results?.length ?? 0) === 0) {
      throw new Error(`warm-up: "${query}" got ${res.status} with ${body.results?.length ?? 0} results`)
    }
  }
  await run(url, 2, 2)
}

function table (rows: Array<[string, RunFigures]>): string {
  const header = ['run', 'conns', 'requests', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors']
  const lines = rows.map(([name, r]) =>
    [name, r.connections, r.requests, r.rps, r.p50_ms, r.p90_ms, r.p99_ms, r.max_ms, r.errors].map(String))
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)))
  const format = (cells: string[]): string =>
    cells.map((c, i) => i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)).join('  ')
  return [format(header), format(widths.map((w) => '-'.repeat(w))), ...lines.map(format)].join('\n')
}

async function measure (config: Partial<AppConfig>, plan: Array<[string, number]>, seconds: number): Promise<Array<[string, RunFigures]>> {
  const { app, url } = await startApp(config)
  try {
    await warmUp(url)
    const rows: Array<[string, RunFigures]> = []
    for (const [name, connections] of plan) {
      process.stderr.write(`${name}: ${connections} connection(s) for ${seconds} s...\n`)
      rows.push([name, await run(url, connections, seconds)])
    }
    return rows
  } finally {
    await app.close()
  }
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: {
    duration: { type: 'string', default: '10' },
    'skip-uncached': { type: 'boolean', default: false }
  } })
  const seconds = Number(values.duration)
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--duration must be a positive number of seconds (got ${values.duration})`)

  const rows = await measure({}, [['c1', 1], ['c10', 10]], seconds)
  if (!values['skip-uncached']) rows.push(...await measure({ EMBEDDING_CACHE_SIZE: 0 }, [['c1_uncached', 1]], seconds))

  console.log(`POST /search, hybrid, top_k 5, ${QUESTIONS.length} rotating questions, ${seconds} s per run (Node ${process.version})`)
  console.log(table(rows))
  const c1 = rows[0]?.[1] as RunFigures
  const verdict = c1.p50_ms <= P50_BUDGET_MS ? 'within budget' : 'OVER BUDGET'
  console.log(`p50 at concurrency 1: ${c1.p50_ms} ms (budget ${P50_BUDGET_MS} ms): ${verdict}`)
  const byRun = Object.fromEntries(rows.map(([name, r]) => [name, r]))
  console.log(JSON.stringify({ ...byRun, p50_ms: c1.p50_ms, p99_ms: c1.p99_ms, rps: c1.rps, errors: c1.errors }))
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exitCode = 1
})
