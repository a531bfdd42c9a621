/**
 * A short benchmark for CI (seconds, not minutes): starts the compiled server, drives GET /health, POST /search
 * and POST /chat (extractive: no LLM) with autocannon, samples the server's RSS from /proc, and fails
 * on any error, on RSS above the budget, or on a p50 far beyond the committed bench/baseline.json.
 *   npm run bench:ci -- [--budget-rss-mb 150] [--budget-peak-rss-mb 200] [--update-baseline]
 * Prints a table; the last line is JSON. Exit 1 on a failed check, 2 when the server cannot be run.
 */
import autocannon from 'autocannon'
import { spawn, type ChildProcess } from 'node:child_process'
import { launcher, SERVER_ENTRY, SERVER_ENV } from './server-command.js'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { request } from 'undici'
import { repoRoot } from '../lib/paths.js'
import { countsSince, shedReason } from './lib/shed-reason.js'
import { citationProblems, percentile } from './lib/smoke-checks.js'

const SEARCH_BODY = { query: 'how many vacation days do I get', mode: 'hybrid' }
const CHAT_BODY = { question: 'How many vacation days do I get each year?' }
// Varied queries for the concurrent phase, so the embedding cache does not answer for the model.
const VARIED_QUERIES = [
  'vacation days',
  'sick leave doctor note',
  'work from home days',
  'travel expenses taxi',
  'parental leave weeks',
  'password rules',
  'report harassment',
  'personal phone email'
]

interface Scenario {
  name: string
  method: 'GET' | 'POST'
  path: string
  connections: number
  seconds: number
  body?: unknown
  /** Counts towards the steady RSS figure (concurrency 1 after warm-up). */
  steady?: boolean
  varied?: boolean
}

const SCENARIOS: Scenario[] = [
  { name: 'search_c1', method: 'POST', path: '/search', body: SEARCH_BODY, connections: 1, seconds: 8, steady: true },
  { name: 'chat_c1', method: 'POST', path: '/chat', body: CHAT_BODY, connections: 1, seconds: 6, steady: true },
  { name: 'health_c50', method: 'GET', path: '/health', connections: 50, seconds: 5 },
  { name: 'search_c50', method: 'POST', path: '/search', connections: 50, seconds: 5, varied: true }
]

interface ScenarioResult {
  name: string
  connections: number
  requests: number
  errors: number
  rps: number
  p50_ms: number
  p90_ms: number
  p99_ms: number
  max_ms: number
  /** Highest RSS sampled while the scenario ran. */
  rss_max_mb?: number
  /** Non-2xx statuses and connection errors, e.g. {"503": 12}. */
  failed_by?: Record<string, number>
  /** Requests the server shed, by under-pressure's reason, e.g. {"eventLoopDelay": 12}. */
  shed_by?: Record<string, number>
}

interface Baseline {
  created_at: string
  machine: { cpus: number, cpu_model: string, node: string }
  startup_ms: number
  first_query_ms: number
  rss_steady_mb: number
  rss_peak_mb: number
  scenarios: Record<string, { p50_ms: number, p99_ms: number, rps: number }>
}

class SetupError extends Error {}

const opts = parseArgs({
  args: process.argv.slice(2),
  options: {
    'budget-rss-mb': { type: 'string', default: '150' },
    'budget-peak-rss-mb': { type: 'string', default: '200' },
    'update-baseline': { type: 'boolean', default: false },
    baseline: { type: 'string', default: join(repoRoot, 'bench', 'baseline.json') }
  }
}).values
const budgetRss = Number(opts['budget-rss-mb'])
const budgetPeakRss = Number(opts['budget-peak-rss-mb'])

/** A port free right now: listen on 0, read it, close. */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new SetupError('could not pick a free port')
  return address.port
}

class Server {
  readonly output: string[] = []
  /** Requests shed so far, by reason: a 503 from memory pressure and one from a busy event loop call for different fixes. */
  readonly shed: Record<string, number> = {}
  private exited: number | null | undefined
  private constructor (readonly child: ChildProcess, readonly baseUrl: string) {
    child.on('exit', (code) => { this.exited = code })
    const keep = (chunk: Buffer): void => {
      const lines = chunk.toString('utf8').split('\n').filter(Boolean)
      for (const line of lines) {
        const reason = shedReason(line)
        if (reason !== undefined) this.shed[reason] = (this.shed[reason] ?? 0) + 1
      }
      this.output.push(...lines)
      this.output.splice(0, Math.max(0, this.output.length - 40))
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
  }

  /** Runs the compiled server like the Docker image does, with no LLM and no API keys. */
  static start (port: number): Server {
    const entry = join(repoRoot, SERVER_ENTRY)
    if (!existsSync(entry)) throw new SetupError(`${entry} not found: run \`npm run build\` first`)
    const start = launcher()
    const child = spawn(start.command, [], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...SERVER_ENV,
        ...start.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        OPENROUTER_API_KEY: '',
        LLM_BASE_URL: 'https://openrouter.ai/api/v1',
        API_KEYS: '',
        // One client sends everything here: a per-client limit would answer 429 instead of the service.
        RATE_LIMIT_MAX: '0',
        SHUTDOWN_GRACE_MS: '2000'
      }
    })
    return new Server(child, `http://127.0.0.1:${port}`)
  }

  get pid (): number {
    if (this.child.pid === undefined) throw new SetupError('the server process has no pid')
    return this.child.pid
  }

  /** Time from spawn until /health first answers. */
  async waitReady (startedAt: number, timeoutMs = 20_000): Promise<number> {
    while (performance.now() - startedAt < timeoutMs) {
      if (this.exited !== undefined) throw new SetupError(`the server exited with code ${String(this.exited)}:\n${this.output.join('\n')}`)
      try {
        const res = await request(`${this.baseUrl}/health`)
        await res.body.dump()
        if (res.statusCode === 200) return performance.now() - startedAt
        throw new SetupError(`/health answered ${res.statusCode}: the instance is not usable`)
      } catch (err) {
        if (err instanceof SetupError) throw err
        await sleep(20)
      }
    }
    throw new SetupError(`the server did not answer /health within ${timeoutMs} ms:\n${this.output.join('\n')}`)
  }

  async stop (): Promise<void> {
    if (this.exited !== undefined) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
}

/** Resident set size of a process, from /proc (Linux). */
function rssMb (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]
  if (kb === undefined) throw new SetupError(`no VmRSS in /proc/${pid}/status`)
  return Number(kb) / 1024
}

class RssSampler {
  peak = 0
  private current = 0
  private readonly timer: NodeJS.Timeout
  constructor (private readonly pid: number, intervalMs = 100) {
    this.timer = setInterval(() => this.sample(), intervalMs)
    this.sample()
  }

  sample (): number {
    try {
      this.current = rssMb(this.pid)
      this.peak = Math.max(this.peak, this.current)
    } catch {
      // The process is gone: the caller finds out from its exit.
    }
    return this.current
  }

  /** The highest sample while fn runs. */
  async during (fn: () => Promise<void>): Promise<number> {
    let max = this.sample()
    const timer = setInterval(() => { max = Math.max(max, this.sample()) }, 100)
    try {
      await fn()
    } finally {
      clearInterval(timer)
    }
    return Math.max(max, this.sample())
  }

  stop (): void {
    clearInterval(this.timer)
  }
}

async function call (
  baseUrl: string, method: 'GET' | 'POST', path: string, body?: unknown
): Promise<{ status: number, json: Record<string, unknown>, ms: number }> {
  const started = performance.now()
  const res = await request(`${baseUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
  })
  const json = await res.body.json() as Record<string, unknown>
  return { status: res.statusCode, json, ms: performance.now() - started }
}

/** First query (model load included), then a few of each request, checking the replies are real. */
async function warmUp (baseUrl: string): Promise<number> {
  const first = await call(baseUrl, 'POST', '/search', SEARCH_BODY)
  if (first.status !== 200 || !Array.isArray(first.json.results) || first.json.results.length === 0) {
    throw new SetupError(`POST /search answered ${first.status}: ${JSON.stringify(first.json).slice(0, 300)}`)
  }
  const chat = await call(baseUrl, 'POST', '/chat', CHAT_BODY)
  const citations = Array.isArray(chat.json.citations) ? chat.json.citations as Array<Record<string, unknown>> : []
  const problems = citationProblems(String(chat.json.answer ?? ''), citations)
  if (chat.status !== 200 || chat.json.mode !== 'extractive' || problems.length > 0) {
    const detail = problems.join('; ') || JSON.stringify(chat.json).slice(0, 300)
    throw new SetupError(`POST /chat answered ${chat.status} in mode ${String(chat.json.mode)}: ${detail}`)
  }
  for (let i = 0; i < 20; i++) {
    await call(baseUrl, 'GET', '/health')
    await call(baseUrl, 'POST', '/search', { query: VARIED_QUERIES[i % VARIED_QUERIES.length], mode: 'hybrid' })
    await call(baseUrl, 'POST', '/chat', CHAT_BODY)
  }
  return first.ms
}

async function runScenario (baseUrl: string, s: Scenario): Promise<ScenarioResult> {
  const times: number[] = []
  let sent = 0
  const body = s.body === undefined ? undefined : JSON.stringify(s.body)
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url: `${baseUrl}${s.path}`,
      method: s.method,
      connections: s.connections,
      duration: s.seconds,
      headers: s.method === 'POST' ? { 'content-type': 'application/json' } : {},
      ...(body === undefined ? {} : { body }),
      // autocannon applies setupRequest only per entry of `requests`, not as a top-level option.
      ...(s.varied
        ? {
            requests: [{
              setupRequest: (req: autocannon.Request) => ({
                ...req,
                body: JSON.stringify({ query: `${VARIED_QUERIES[sent % VARIED_QUERIES.length]} ${sent++}`, mode: 'hybrid' })
              })
            }]
          }
        : {})
    }, (err: unknown, res: autocannon.Result) => err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res))
    instance.on('response', (_client, _status, _bytes, responseTime) => { times.push(responseTime) })
  })
  const errors = result.errors + result.timeouts + result.non2xx
  return {
    name: s.name,
    connections: s.connections,
    requests: times.length,
    errors,
    rps: round(times.length / result.duration),
    p50_ms: round(percentile(times, 50), 2),
    p90_ms: round(percentile(times, 90), 2),
    p99_ms: round(percentile(times, 99), 2),
    max_ms: round(times.reduce((a, b) => Math.max(a, b), 0), 2),
    ...(errors > 0 ? { failed_by: failedBy(result) } : {})
  }
}

function failedBy (result: autocannon.Result): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const [status, stat] of Object.entries(result.statusCodeStats ?? {})) {
    if (!status.startsWith('2') && stat.count) counts[status] = stat.count
  }
  if (result.errors > 0) counts.connection_errors = result.errors
  return counts
}

function readBaseline (path: string): Baseline | undefined {
  if (!existsSync(path)) return undefined
  return JSON.parse(readFileSync(path, 'utf8')) as Baseline
}

/** A p50 more than 3× the baseline's plus 5 ms: generous, since CI machines vary. */
function regressionLimit (baselineP50: number): number {
  return round(baselineP50 * 3 + 5, 2)
}

function table (results: ScenarioResult[], baseline: Baseline | undefined): string {
  const header = [
    'scenario',
    'conc',
    'requests',
    'errors',
    'req/s',
    'p50 ms',
    'p90 ms',
    'p99 ms',
    'max ms',
    'base p50',
    'p50 limit',
    'RSS MB'
  ]
  const rows = results.map((r) => {
    const base = baseline?.scenarios[r.name]?.p50_ms
    const limit = base === undefined ? '-' : regressionLimit(base)
    const figures = [r.requests, r.errors, r.rps, r.p50_ms, r.p90_ms, r.p99_ms, r.max_ms]
    return [r.name, r.connections, ...figures, base ?? '-', limit, r.rss_max_mb ?? '-'].map(String)
  })
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)))
  const line = (cells: string[]): string =>
    cells.map((c, i) => i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)).join('  ')
  return [line(header), ...rows.map(line)].join('\n')
}

/** Errors, RSS over budget, and (unless a baseline is being written) p50 regressions. */
function judge (results: ScenarioResult[], rssSteady: number, rssPeak: number, baseline: Baseline | undefined): string[] {
  const failures: string[] = []
  for (const r of results) {
    if (r.errors === 0) continue
    const shed = r.shed_by === undefined ? '' : ` shed by ${JSON.stringify(r.shed_by)}`
    failures.push(`${r.name}: ${r.errors} errors ${JSON.stringify(r.failed_by)}${shed}`)
  }
  if (rssSteady > budgetRss) failures.push(`steady RSS ${rssSteady.toFixed(1)} MB > budget ${budgetRss} MB`)
  if (rssPeak > budgetPeakRss) failures.push(`peak RSS ${rssPeak.toFixed(1)} MB > budget ${budgetPeakRss} MB`)
  for (const r of results) {
    const base = baseline?.scenarios[r.name]
    if (base && r.p50_ms > regressionLimit(base.p50_ms)) {
      failures.push(`${r.name}: p50 ${r.p50_ms} ms > ${regressionLimit(base.p50_ms)} ms (3 × baseline ${base.p50_ms} + 5)`)
    }
  }
  return failures
}

async function main (): Promise<number> {
  if (!(budgetRss > 0) || !(budgetPeakRss > 0)) throw new SetupError('--budget-rss-mb and --budget-peak-rss-mb must be positive numbers')
  const baseline = readBaseline(opts.baseline)
  const port = await freePort()
  const startedAt = performance.now()
  const server = Server.start(port)
  const stopOnSignal = (): void => { void server.stop().then(() => process.exit(130)) }
  process.once('SIGINT', stopOnSignal)
  let sampler: RssSampler | undefined
  try {
    const startupMs = await server.waitReady(startedAt)
    sampler = new RssSampler(server.pid)
    const rssIdle = sampler.sample()
    const firstQueryMs = await warmUp(server.baseUrl)
    const rssWarm = sampler.sample()
    const results: ScenarioResult[] = []
    let rssSteady = 0
    for (const scenario of SCENARIOS) {
      let result: ScenarioResult | undefined
      const shedBefore = { ...server.shed }
      const maxRss = await sampler.during(async () => { result = await runScenario(server.baseUrl, scenario) })
      if (scenario.steady) rssSteady = Math.max(rssSteady, maxRss)
      // The log lines of the last responses may still be in the pipe.
      await sleep(200)
      const shedBy = countsSince(shedBefore, server.shed)
      if (result) results.push({ ...result, rss_max_mb: round(maxRss), ...(Object.keys(shedBy).length > 0 ? { shed_by: shedBy } : {}) })
    }
    const rssPeak = sampler.peak

    const failures = judge(results, rssSteady, rssPeak, opts['update-baseline'] ? undefined : baseline)

    console.log(table(results, baseline))
    console.log(`startup ${startupMs.toFixed(0)} ms (spawn to first /health), ` +
      `first query ${firstQueryMs.toFixed(1)} ms (model load included)`)
    console.log(`RSS: idle ${rssIdle.toFixed(1)} MB, after warm-up ${rssWarm.toFixed(1)} MB, ` +
      `steady (concurrency 1) ${rssSteady.toFixed(1)} MB of ${budgetRss}, peak ${rssPeak.toFixed(1)} MB of ${budgetPeakRss}`)
    if (!baseline) console.log(`no baseline at ${opts.baseline}: regressions not checked`)
    for (const f of failures) console.log(`FAIL ${f}`)

    const ok = failures.length === 0
    if (opts['update-baseline'] && ok) {
      writeBaseline(opts.baseline, { startupMs, firstQueryMs, rssSteady, rssPeak, results })
      console.log(`baseline written to ${opts.baseline}`)
    } else if (opts['update-baseline']) {
      console.log('baseline not written: the run failed')
    }
    console.log(JSON.stringify({
      ok,
      failures,
      startup_ms: round(startupMs),
      first_query_ms: round(firstQueryMs),
      rss_mb: {
        idle: round(rssIdle),
        warm: round(rssWarm),
        steady: round(rssSteady),
        peak: round(rssPeak),
        budget_steady: budgetRss,
        budget_peak: budgetPeakRss
      },
      scenarios: Object.fromEntries(results.map(({ name, ...r }) => [name, r]))
    }))
    return ok ? 0 : 1
  } finally {
    sampler?.stop()
    await server.stop()
    process.off('SIGINT', stopOnSignal)
  }
}

function writeBaseline (path: string, run: {
  startupMs: number,
  firstQueryMs: number,
  rssSteady: number,
  rssPeak: number,
  results: ScenarioResult[]
}): void {
  const cpu = cpus()
  const baseline: Baseline = {
    created_at: new Date().toISOString(),
    machine: { cpus: cpu.length, cpu_model: cpu[0]?.model ?? 'unknown', node: process.version },
    startup_ms: round(run.startupMs),
    first_query_ms: round(run.firstQueryMs),
    rss_steady_mb: round(run.rssSteady),
    rss_peak_mb: round(run.rssPeak),
    scenarios: Object.fromEntries(run.results.map((r) => [r.name, { p50_ms: r.p50_ms, p99_ms: r.p99_ms, rps: r.rps }]))
  }
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, `${JSON.stringify(baseline, null, 2)}\n`)
}

function round (value: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

try {
  process.exitCode = await main()
} catch (err) {
  if (!(err instanceof SetupError)) throw err
  console.error(`bench:ci: ${err.message}`)
  console.log(JSON.stringify({ ok: false, failures: [err.message.split('\n')[0]] }))
  process.exitCode = 2
}
