/**
 * Shared by the benchmarks (bench, bench:soak, bench:startup) and the tests that run the server as a
 * child process: spawn the server and read its JSON log lines, sample its RSS from /proc, autocannon
 * runs with exact latency percentiles, and small statistics. The LLM stand-in is lib/fake-llm-server.
 */
import autocannon from 'autocannon'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { repoRoot } from '../lib/paths.js'
import { launcher, SERVER_ENTRY, SERVER_ENV } from './server-command.js'

export type LogLine = Record<string, unknown> & { msg?: string }

export interface ServerStartOptions {
  /**
   * `dist`: the compiled server as `npm start` and the Docker image run it (bin/start.sh); `source` (tests): this checkout's
   * server.ts as the caller runs its own code: compiled beside this file (`npm test` runs dist-test/), else through tsx.
   */
  entry: 'dist' | 'source'
  env?: Record<string, string>
  /** 0 (default) lets the OS choose; the port is then read from Fastify's "Server listening at" line. */
  port?: number
  /** Start through `npm start` (package.json) instead of node itself; only with entry `dist`. */
  viaNpmStart?: boolean
}

export interface ExitInfo { code: number | null, signal: NodeJS.Signals | null }

/** The service as a child process, with its stdout parsed as pino JSON lines. */
export class ServerProcess {
  readonly logs: LogLine[] = []
  /** Lines that were not JSON (stderr, warnings), kept for error messages. */
  readonly other: string[] = []
  readonly exited: Promise<ExitInfo>
  readonly spawnedAt = performance.now()
  private retain = true
  private exit: ExitInfo | undefined
  private listeners = new Set<() => void>()

  private constructor (readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      this.exit = { code, signal }
      this.notify()
      resolve(this.exit)
    }))
    lines(child.stdout, (line) => this.take(line))
    lines(child.stderr, (line) => this.other.push(line))
  }

  static start (opts: ServerStartOptions): ServerProcess {
    const dist = opts.entry === 'dist'
    if (dist) distEntry()
    const start = launcher()
    const [command, commandArgs]: [string, string[]] = opts.viaNpmStart === true
      ? ['npm', ['start', '--silent']]
      : dist ? [start.command, []] : [process.execPath, sourceEntry()]
    const child = spawn(command, commandArgs, {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...baseEnv(), ...(dist ? { ...SERVER_ENV, ...start.env } : {}), PORT: String(opts.port ?? 0), ...opts.env }
    })
    return new ServerProcess(child)
  }

  get pid (): number {
    if (this.child.pid === undefined) throw new Error('the server process has no pid')
    return this.child.pid
  }

  get exitInfo (): ExitInfo | undefined {
    return this.exit
  }

  /** The first log line (already seen or still to come) matching the test. */
  async waitForLog (test: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    const deadline = performance.now() + timeoutMs
    for (let seen = 0; ; ) {
      for (; seen < this.logs.length; seen++) if (test(this.logs[seen] as LogLine)) return this.logs[seen] as LogLine
      if (this.exit !== undefined) {
        throw new Error(`the server exited (${describeExit(this.exit)}) before the expected log line:\n${this.tail()}`)
      }
      const left = deadline - performance.now()
      if (left <= 0) throw new Error(`no matching log line within ${timeoutMs} ms:\n${this.tail()}`)
      await this.nextEvent(left)
    }
  }

  /** Waits for the "ready" line and returns the base URL Fastify reported listening at. */
  async ready (timeoutMs = 30_000): Promise<string> {
    await this.waitForLog((l) => l.msg === 'ready', timeoutMs)
    const listening = this.logs.map((l) => /^Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(l.msg ?? '')?.[1]).find(Boolean)
    if (listening === undefined) {
      throw new Error(`no "Server listening at http://127.0.0.1:…" line (is LOG_LEVEL info and HOST 127.0.0.1?):\n${this.tail()}`)
    }
    return listening
  }

  /** Sends a signal and waits for the exit, killing the process if it outlives timeoutMs. */
  async stop (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<ExitInfo> {
    if (this.exit !== undefined) return this.exit
    this.child.kill(signal)
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }

  /** Keep only the last lines from now on (for error messages): a benchmark's request log would fill memory. */
  retainLogs (keep: boolean): void {
    this.retain = keep
  }

  tail (n = 30): string {
    return [...this.logs.slice(-n).map((l) => JSON.stringify(l)), ...this.other.slice(-n)].join('\n')
  }

  private take (line: string): void {
    if (!this.retain && this.logs.length > 200) this.logs.splice(0, 100)
    try {
      this.logs.push(JSON.parse(line) as LogLine)
    } catch {
      this.other.push(line)
    }
    this.notify()
  }

  private notify (): void {
    for (const wake of this.listeners) wake()
  }

  private async nextEvent (timeoutMs: number): Promise<void> {
    let wake = (): void => {}
    const woken = new Promise<void>((resolve) => { wake = resolve })
    this.listeners.add(wake)
    const timer = setTimeout(wake, timeoutMs)
    await woken
    clearTimeout(timer)
    this.listeners.delete(wake)
  }
}

/** server.ts compiled beside this module when it runs compiled (tsx costs about a second of CPU per start), else tsx. */
function sourceEntry (): string[] {
  const here = fileURLToPath(import.meta.url)
  return here.endsWith('.js') ? [join(dirname(here), '..', 'server.js')] : ['--import', 'tsx', join(repoRoot, 'server.ts')]
}

/** Throws a clear message when the server has not been compiled. */
export function distEntry (): string {
  const entry = join(repoRoot, SERVER_ENTRY)
  if (!existsSync(entry)) throw new Error(`${entry} not found: run \`npm run build\` first`)
  return entry
}

/** A predictable environment: the parent's (PATH, HOME...) minus every service setting, then bench defaults. */
function baseEnv (): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !SERVICE_KEYS.test(key)) env[key] = value
  }
  return { ...env, HOST: '127.0.0.1', LOG_LEVEL: 'info', RATE_LIMIT_MAX: '0', OPENROUTER_API_KEY: '', API_KEYS: '' }
}

const SERVICE_KEYS = new RegExp('^(PORT|HOST|LOG_\\w+|OPENROUTER_API_KEY|LLM_\\w+|MAX_TOKENS|GUARDRAILS_LEVEL|VECTOR_STORE_PATH|' +
  'EMBEDDING_\\w+|RRF_\\w+|RETRIEVAL_CANDIDATES|MEMORY_\\w+|MAX_EVENT_LOOP_DELAY_MS|PRESSURE_SAMPLE_INTERVAL_MS|RETRY_AFTER_S|API_KEYS|' +
  'METRICS_REQUIRE_KEY|RATE_LIMIT_\\w+|TRUST_PROXY|CORS_ORIGIN|BODY_LIMIT_BYTES|STREAM_STALL_TIMEOUT_MS|REQUEST_TIMEOUT_MS|' +
  'KEEP_ALIVE_TIMEOUT_MS|SHUTDOWN_GRACE_MS|NODE_OPTIONS)$')

function lines (stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let rest = ''
  stream?.setEncoding('utf8')
  stream?.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n')
    rest = parts.pop() ?? ''
    for (const line of parts) if (line.trim() !== '') onLine(line)
  })
}

function describeExit (exit: ExitInfo): string {
  return exit.signal === null ? `code ${String(exit.code)}` : `signal ${exit.signal}`
}

/** A port free right now (for a server that must be polled before it can log its own). */
export async function freePort (): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Polls until the URL answers 200; returns the time since `since` (performance.now()). */
export async function waitFor200 (
  url: string,
  since: number,
  opts: { timeoutMs?: number, intervalMs?: number, init?: RequestInit, server?: ServerProcess } = {}
): Promise<number> {
  const deadline = since + (opts.timeoutMs ?? 30_000)
  while (performance.now() < deadline) {
    if (opts.server?.exitInfo !== undefined) throw new Error(`the server exited before ${url} answered:\n${opts.server.tail()}`)
    try {
      const res = await fetch(url, opts.init)
      await res.arrayBuffer()
      if (res.status === 200) return performance.now() - since
    } catch {
      // Not listening yet.
    }
    await sleep(opts.intervalMs ?? 5)
  }
  throw new Error(`${url} did not answer 200 in time`)
}

/** Resident set size in MB, from /proc/<pid>/status (Linux); undefined once the process is gone. */
export function rssMb (pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb === undefined ? undefined : Number(kb) / 1024
  } catch {
    return undefined
  }
}

/**
 * CPU time (user + system) a process has used, in ms, from /proc/<pid>/stat (Linux, 100 ticks a
 * second); undefined once the process is gone. Per request it compares routes even on a busy machine.
 */
export function cpuMs (pid: number): number | undefined {
  try {
    // Fields after the parenthesised command name: state is [0], utime [11], stime [12].
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

export interface RssSample { t_ms: number, mb: number }

/** Samples a process's RSS every intervalMs until stopped. */
export class RssSampler {
  readonly samples: RssSample[] = []
  private readonly started = performance.now()
  private readonly timer: NodeJS.Timeout

  constructor (private readonly pid: number, intervalMs = 100) {
    this.sample()
    this.timer = setInterval(() => this.sample(), intervalMs)
  }

  sample (): number | undefined {
    const mb = rssMb(this.pid)
    if (mb !== undefined) this.samples.push({ t_ms: performance.now() - this.started, mb })
    return mb
  }

  /** The highest sample taken at or after `fromMs` (an offset from the sampler's start). */
  peak (fromMs = 0): number {
    return this.samples.reduce((max, s) => s.t_ms >= fromMs ? Math.max(max, s.mb) : max, 0)
  }

  elapsed (): number {
    return performance.now() - this.started
  }

  stop (): void {
    clearInterval(this.timer)
  }
}

export interface LoadOptions {
  url: string
  method?: 'GET' | 'POST'
  connections: number
  seconds: number
  /** One fixed JSON body, or a function giving the body of the n-th request. */
  body?: unknown | ((n: number) => unknown)
  /** A mix instead: each connection cycles through these requests (bodies numbered per entry). */
  mix?: MixedRequest[]
  /** Seconds before autocannon gives up on a response (default 30). */
  timeoutS?: number
  /** Requests per second across all connections; unset means as fast as the server answers. */
  rate?: number
}

export interface MixedRequest { method: 'GET' | 'POST', path: string, body?: (n: number) => unknown }

export interface LoadResult {
  requests: number
  rps: number
  p50_ms: number
  p90_ms: number
  p99_ms: number
  max_ms: number
  /** Connection errors, timeouts and non-2xx responses. */
  errors: number
  /** What the errors were, e.g. {"503": 4, "timeouts": 1}. */
  errors_by?: Record<string, number>
}

/** One autocannon run; latencies come from every response (exact, sub-millisecond), not its histogram. */
export async function runLoad (opts: LoadOptions): Promise<LoadResult> {
  const times: number[] = []
  let n = 0
  const bodyFor = typeof opts.body === 'function' ? opts.body as (n: number) => unknown : undefined
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url: opts.url,
      method: opts.method ?? 'GET',
      connections: opts.connections,
      duration: opts.seconds,
      timeout: opts.timeoutS ?? 30,
      ...(opts.rate === undefined ? {} : { overallRate: opts.rate }),
      headers: opts.method === 'POST' ? { 'content-type': 'application/json' } : {},
      ...(opts.body !== undefined && bodyFor === undefined ? { body: JSON.stringify(opts.body) } : {}),
      // autocannon applies setupRequest only per entry of `requests`.
      ...(bodyFor === undefined
        ? {}
        : { requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, body: JSON.stringify(bodyFor(n++)) }) }] }),
      ...(opts.mix === undefined ? {} : { requests: opts.mix.map(mixed) })
    }, (err: unknown, res: autocannon.Result) => err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res))
    instance.on('response', (_client, _status, _bytes, responseTime) => { times.push(responseTime) })
  })
  return summarize(times, result)
}

function mixed (entry: MixedRequest): autocannon.Request {
  let n = 0
  const { body } = entry
  return {
    method: entry.method,
    path: entry.path,
    ...(body === undefined ? {} : {
      headers: { 'content-type': 'application/json' },
      setupRequest: (req: autocannon.Request) => ({ ...req, body: JSON.stringify(body(n++)) })
    })
  }
}

function summarize (times: number[], result: autocannon.Result): LoadResult {
  const errors = result.errors + result.timeouts + result.non2xx
  const errorsBy: Record<string, number> = {}
  for (const [status, stat] of Object.entries(result.statusCodeStats ?? {})) {
    if (!status.startsWith('2') && (stat.count ?? 0) > 0) errorsBy[status] = stat.count ?? 0
  }
  if (result.timeouts > 0) errorsBy.timeouts = result.timeouts
  if (result.errors - result.timeouts > 0) errorsBy.connection_errors = result.errors - result.timeouts
  return {
    requests: times.length,
    rps: round(times.length / result.duration, 1),
    p50_ms: round(percentile(times, 50), 2),
    p90_ms: round(percentile(times, 90), 2),
    p99_ms: round(percentile(times, 99), 2),
    max_ms: round(times.reduce((m, v) => Math.max(m, v), 0), 2),
    errors,
    ...(errors > 0 ? { errors_by: errorsBy } : {})
  }
}

/** Nearest-rank percentile (p in 0–100) of unsorted values; 0 for none. */
export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number
}

/** Least-squares slope of y over x. */
export function slope (points: ReadonlyArray<{ x: number, y: number }>): number {
  const n = points.length
  if (n < 2) return 0
  const mx = points.reduce((s, p) => s + p.x, 0) / n
  const my = points.reduce((s, p) => s + p.y, 0) / n
  let num = 0
  let den = 0
  for (const p of points) {
    num += (p.x - mx) * (p.y - my)
    den += (p.x - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}

export function round (value: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/** A Markdown table; numbers right-aligned. */
export function markdownTable (header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = rows.map((r) => r.map(String))
  const widths = header.map((h, i) => Math.max(h.length, 3, ...cells.map((r) => (r[i] ?? '').length)))
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'))
  const cell = (c: string, i: number): string => numeric[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)
  const line = (r: readonly string[]): string => `| ${r.map(cell).join(' | ')} |`
  const rule = `| ${widths.map((w, i) => numeric[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w)).join(' | ')} |`
  return [line(header), rule, ...cells.map(line)].join('\n')
}

/** Reads `--name value` style flags as numbers, with defaults. */
export function numberFlags<T extends Record<string, number>> (argv: readonly string[], defaults: T): T {
  const out: Record<string, number> = { ...defaults }
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([a-z-]+)$/.exec(argv[i] ?? '')?.[1]
    if (name === undefined || !(name in defaults)) {
      throw new Error(`unknown argument ${argv[i] ?? ''}; expected ${Object.keys(defaults).map((k) => `--${k} <n>`).join(', ')}`)
    }
    const value = Number(argv[++i])
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`)
    out[name] = value
  }
  return out as T
}
