import { performance } from 'node:perf_hooks'
import { request } from 'undici'
import { CHAT_QUESTIONS, percentile, SEARCH_QUERIES } from './smoke-checks.js'

/**
 * The scheduled performance probe: p50/p95 of `POST /search` and `POST /chat` over a fixed set of
 * ordinary questions and the `/memory` figures of a running instance, checked against thresholds
 * committed in the repository (bench/probe-thresholds.json). Used by `npm run probe -- <base-url>`
 * and the daily maintenance workflow.
 */

export interface ProbeOptions {
  apiKey?: string
  /** How many times the fixed set goes through each route. */
  rounds?: number
  timeoutMs?: number
  searchQueries?: readonly string[]
  chatQuestions?: readonly string[]
}

export interface LatencyFigures { requests: number, errors: number, p50_ms: number, p95_ms: number, max_ms: number }

export interface MemoryFigures { rss_mb: number, heap_used_mb: number, external_mb: number, limit_mb: number, utilization: number }

export interface ProbeFigures {
  search: LatencyFigures
  chat: LatencyFigures & { modes: Record<string, number> }
  memory: MemoryFigures
}

/** Each figure's upper limit (a figure without one is reported, not checked), and the weekly RSS trend's. */
export type ProbeThresholds = Partial<Record<ThresholdName | typeof TREND_THRESHOLD, number>>

/** MB per day the RSS of the daily probes may grow over a week (see tools/lib/memory-trend.ts). */
export const TREND_THRESHOLD = 'memory_trend_mb_per_day' as const

export const THRESHOLD_NAMES = [
  'search_p50_ms', 'search_p95_ms', 'search_errors',
  'chat_p50_ms', 'chat_p95_ms', 'chat_errors',
  'memory_rss_mb', 'memory_utilization'
] as const
export type ThresholdName = typeof THRESHOLD_NAMES[number]

export interface ThresholdCheck { name: ThresholdName, value: number, limit: number | undefined, ok: boolean }

export interface ProbeReport {
  base_url: string
  at: string
  rounds: number
  figures: ProbeFigures
  checks: ThresholdCheck[]
  ok: boolean
}

export async function runProbe (baseUrl: string, opts: ProbeOptions = {}): Promise<ProbeFigures> {
  const base = baseUrl.replace(/\/+$/, '')
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' }
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`
  const timeoutMs = opts.timeoutMs ?? 30_000
  const post = (path: string, body: unknown) => timedRequest(
    `${base}${path}`,
    { method: 'POST', headers, body: JSON.stringify(body) },
    timeoutMs
  )
  const rounds = opts.rounds ?? 3
  // Not counted: the first search loads the embedding model, which bench:startup measures, not this.
  await post('/search', { query: (opts.searchQueries ?? SEARCH_QUERIES)[0] ?? 'vacation', top_k: 5 })

  const searchTimes: number[] = []
  let searchErrors = 0
  const chatTimes: number[] = []
  let chatErrors = 0
  const modes: Record<string, number> = {}
  for (let round = 0; round < rounds; round++) {
    for (const query of opts.searchQueries ?? SEARCH_QUERIES) {
      const reply = await post('/search', { query, top_k: 5 })
      if (reply.status === 200) searchTimes.push(reply.ms)
      else searchErrors++
    }
    for (const question of opts.chatQuestions ?? CHAT_QUESTIONS) {
      const reply = await post('/chat', { question })
      if (reply.status !== 200) {
        chatErrors++
        continue
      }
      chatTimes.push(reply.ms)
      const mode = String((reply.body as { mode?: unknown }).mode)
      modes[mode] = (modes[mode] ?? 0) + 1
    }
  }
  const memory = await timedRequest(
    `${base}/memory`,
    { method: 'GET', headers: { accept: 'application/json', ...(opts.apiKey ? { authorization: headers.authorization as string } : {}) } },
    timeoutMs
  )
  if (memory.status !== 200) throw new Error(`GET /memory answered HTTP ${memory.status}`)
  return {
    search: latency(searchTimes, searchErrors),
    chat: { ...latency(chatTimes, chatErrors), modes },
    memory: memoryFigures(memory.body)
  }
}

interface Reply { status: number, body: unknown, ms: number }

async function timedRequest (
  url: string,
  init: { method: 'GET' | 'POST', headers: Record<string, string>, body?: string },
  timeoutMs: number
): Promise<Reply> {
  const started = performance.now()
  const res = await request(url, { ...init, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
  const text = await res.body.text()
  const ms = performance.now() - started
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: res.statusCode, body, ms }
}

const round2 = (n: number): number => Math.round(n * 100) / 100

function latency (times: number[], errors: number): LatencyFigures {
  return {
    requests: times.length + errors,
    errors,
    p50_ms: round2(percentile(times, 50)),
    p95_ms: round2(percentile(times, 95)),
    max_ms: round2(times.length ? Math.max(...times) : 0)
  }
}

/** Each memory figure and the GET /memory field it is read from. */
const MEMORY_FIELDS: Record<keyof MemoryFigures, string> = {
  rss_mb: 'memory_usage_mb',
  heap_used_mb: 'heap_used_mb',
  external_mb: 'external_mb',
  limit_mb: 'memory_limit_mb',
  utilization: 'memory_utilization'
}

function memoryFigures (body: unknown): MemoryFigures {
  const fields = (body ?? {}) as Record<string, unknown>
  const figures = Object.entries(MEMORY_FIELDS).map(([name, field]) => {
    const value = fields[field]
    if (typeof value !== 'number') throw new Error(`GET /memory has no number ${field}`)
    return [name, value]
  })
  return Object.fromEntries(figures) as MemoryFigures
}

export function figureValue (figures: ProbeFigures, name: ThresholdName): number {
  switch (name) {
    case 'search_p50_ms': return figures.search.p50_ms
    case 'search_p95_ms': return figures.search.p95_ms
    case 'search_errors': return figures.search.errors
    case 'chat_p50_ms': return figures.chat.p50_ms
    case 'chat_p95_ms': return figures.chat.p95_ms
    case 'chat_errors': return figures.chat.errors
    case 'memory_rss_mb': return figures.memory.rss_mb
    case 'memory_utilization': return figures.memory.utilization
  }
}

/** A figure passes when it is at or under its limit. */
export function checkThresholds (figures: ProbeFigures, thresholds: ProbeThresholds): ThresholdCheck[] {
  return THRESHOLD_NAMES.map((name) => {
    const value = figureValue(figures, name)
    const limit = thresholds[name]
    return { name, value, limit, ok: limit === undefined || value <= limit }
  })
}

/** Thresholds from the committed JSON file: only known names, each a finite number (`$comment` aside). */
export function parseThresholds (json: string): ProbeThresholds {
  const raw = JSON.parse(json) as unknown
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('the thresholds file must hold a JSON object')
  const thresholds: ProbeThresholds = {}
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith('$')) continue
    const known: readonly string[] = [...THRESHOLD_NAMES, TREND_THRESHOLD]
    if (!known.includes(key)) throw new Error(`unknown threshold "${key}" (known: ${known.join(', ')})`)
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`threshold "${key}" must be a number`)
    thresholds[key as keyof ProbeThresholds] = value
  }
  return thresholds
}

export function probeReport (
  baseUrl: string,
  rounds: number,
  figures: ProbeFigures,
  thresholds: ProbeThresholds,
  at = new Date()
): ProbeReport {
  const checks = checkThresholds(figures, thresholds)
  return { base_url: baseUrl, at: at.toISOString(), rounds, figures, checks, ok: checks.every((c) => c.ok) }
}

export function probeMarkdown (report: ProbeReport): string {
  const { search, chat, memory } = report.figures
  const verdict = (c: (typeof report.checks)[number]): string => c.limit === undefined ? 'not checked' : c.ok ? 'ok' : '**over**'
  const rows = report.checks.map((c) => `| ${c.name} | ${c.value} | ${c.limit ?? '–'} | ${verdict(c)} |`)
  const modes = Object.entries(chat.modes).map(([mode, n]) => `${mode} ${n}`).join(', ') || 'none'
  return [
    `## Performance probe of ${report.base_url}`,
    '',
    `${report.at}, ${report.rounds} round(s) of the fixed questions: ` +
      `${report.ok ? 'every figure within its threshold' : 'FAILED: a figure is over its threshold'}.`,
    '',
    '| route | requests | errors | p50 ms | p95 ms | max ms |',
    '| --- | --: | --: | --: | --: | --: |',
    `| \`POST /search\` | ${search.requests} | ${search.errors} | ${search.p50_ms} | ${search.p95_ms} | ${search.max_ms} |`,
    `| \`POST /chat\` (${modes}) | ${chat.requests} | ${chat.errors} | ${chat.p50_ms} | ${chat.p95_ms} | ${chat.max_ms} |`,
    '',
    `Memory: RSS ${memory.rss_mb} MB of ${memory.limit_mb} MB (utilisation ${(memory.utilization * 100).toFixed(1)}%), ` +
      `heap used ${memory.heap_used_mb} MB, external ${memory.external_mb} MB.`,
    '',
    '| figure | measured | threshold | verdict |',
    '| --- | --: | --: | --- |',
    ...rows,
    ''
  ].join('\n')
}
