import { performance } from 'node:perf_hooks'
import { request } from 'undici'

/**
 * Post-deployment smoke checks against any running instance, over real HTTP. Used by
 * `npm run smoke -- <base-url>` and by the deploy workflow, which rolls back when they fail.
 */

export interface SmokeOptions {
  /** Sent as `Authorization: Bearer <key>` when the instance has API_KEYS set. */
  apiKey?: string
  /** p95 of the warm `POST /search` requests must stay under this; generous for a shared CPU across the internet. */
  searchP95Ms?: number
  /** `GET /memory` utilisation (0–1) must stay under this. */
  maxMemoryUtilization?: number
  minDocuments?: number
  /** How many times the fixed question set goes through `POST /search`. */
  searchRounds?: number
  /** Per-request limit for headers and body. */
  timeoutMs?: number
  /** `any` accepts llm or extractive answers; refusals of the ordinary questions always fail. */
  expectChatMode?: 'llm' | 'extractive' | 'any'
  searchQueries?: readonly string[]
  chatQuestions?: readonly string[]
  /** Called as each check completes, so a CLI can print lines as they come. */
  onCheck?: (check: CheckResult) => void
}

export interface CheckResult {
  name: string
  ok: boolean
  detail: string
  ms: number
}

export interface SmokeReport {
  base_url: string
  ok: boolean
  passed: number
  failed: number
  ms: number
  checks: CheckResult[]
}

export const DEFAULT_SEARCH_P95_MS = 1000
export const DEFAULT_MAX_MEMORY_UTILIZATION = 0.8

export const SEARCH_QUERIES: readonly string[] = [
  'how many vacation days do I get',
  'can I carry unused PTO into next year',
  'do I need a doctor\'s note for sick leave',
  'how many days a week can I work from home',
  'how do I claim travel expenses',
  'how long is parental leave',
  'is multi-factor authentication required',
  'how do I report harassment',
  'can I read work email on my personal phone',
  'what are the core working hours'
]

export const CHAT_QUESTIONS: readonly string[] = [
  'How many vacation days do I get each year?',
  'Do I need a doctor\'s note when I am off sick?',
  'Can I claim a taxi to the airport as a travel expense?'
]

const COMPONENTS = ['vector_store', 'embedding_service', 'llm_service', 'memory_manager'] as const

interface Reply { status: number, body: unknown, ms: number }

interface Context {
  baseUrl: string
  headers: Record<string, string>
  timeoutMs: number
  documentIds: Set<string>
}

/** Runs every check (none is skipped when an earlier one fails) and reports each. */
export async function runSmoke (baseUrl: string, opts: SmokeOptions = {}): Promise<SmokeReport> {
  const started = performance.now()
  const ctx: Context = {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    headers: opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {},
    timeoutMs: opts.timeoutMs ?? 30_000,
    documentIds: new Set()
  }
  const checks: CheckResult[] = []
  const record = (check: CheckResult): void => {
    checks.push(check)
    opts.onCheck?.(check)
  }
  record(await timed('health', () => checkHealth(ctx)))
  record(await timed('memory', () => checkMemory(ctx, opts.maxMemoryUtilization ?? DEFAULT_MAX_MEMORY_UTILIZATION)))
  record(await timed('documents', () => checkDocuments(ctx, opts.minDocuments ?? 1)))
  const queries = opts.searchQueries ?? SEARCH_QUERIES
  record(await timed('search first query', () => checkSearchOnce(ctx, queries[0] ?? 'vacation')))
  record(await timed(
    'search latency',
    () => checkSearchLatency(ctx, queries, opts.searchRounds ?? 2, opts.searchP95Ms ?? DEFAULT_SEARCH_P95_MS)
  ))
  for (const question of opts.chatQuestions ?? CHAT_QUESTIONS) {
    record(await timed(`chat "${question}"`, () => checkChat(ctx, question, opts.expectChatMode ?? 'any')))
  }
  const failed = checks.filter((c) => !c.ok).length
  return { base_url: ctx.baseUrl, ok: failed === 0, passed: checks.length - failed, failed, ms: round(performance.now() - started), checks }
}

type Outcome = { ok: boolean, detail: string }

async function timed (name: string, fn: () => Promise<Outcome>): Promise<CheckResult> {
  const started = performance.now()
  try {
    const { ok, detail } = await fn()
    return { name, ok, detail, ms: round(performance.now() - started) }
  } catch (err) {
    return { name, ok: false, detail: describeError(err), ms: round(performance.now() - started) }
  }
}

async function call (ctx: Context, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Reply> {
  const started = performance.now()
  const headers = { ...ctx.headers, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }
  const res = await request(`${ctx.baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    headersTimeout: ctx.timeoutMs,
    bodyTimeout: ctx.timeoutMs
  })
  const text = await res.body.text()
  const ms = performance.now() - started
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // Not JSON: kept as text so the failure message can show it.
  }
  return { status: res.statusCode, body: parsed, ms }
}

async function checkHealth (ctx: Context): Promise<Outcome> {
  const { status, body } = await call(ctx, 'GET', '/health')
  const health = asRecord(body)
  const components = asRecord(health.components)
  const missing = COMPONENTS.filter((name) => typeof components[name] !== 'string')
  const shown = COMPONENTS.map((name) => `${name}=${String(components[name] ?? '?')}`).join(' ')
  const problems: string[] = []
  if (status !== 200) problems.push(`HTTP ${status}`)
  if (health.status !== 'healthy' && health.status !== 'degraded') problems.push(`status ${String(health.status ?? 'missing')}`)
  if (missing.length > 0) problems.push(`missing ${missing.join(', ')}`)
  if (components.vector_store === 'model_mismatch') problems.push('index built by another embedding model')
  const summary = `${String(health.status ?? '?')} ${shown}${health.version ? ` v${String(health.version)}` : ''}`
  return problems.length === 0 ? pass(summary) : fail(`${problems.join('; ')} (${summary}${errorMessage(body)})`)
}

async function checkMemory (ctx: Context, maxUtilization: number): Promise<Outcome> {
  const { status, body } = await call(ctx, 'GET', '/memory')
  if (status !== 200) return fail(`HTTP ${status}${errorMessage(body)}`)
  const m = asRecord(body)
  const utilization = m.memory_utilization
  if (typeof utilization !== 'number') return fail('no memory_utilization in the reply')
  const summary = `utilisation ${(utilization * 100).toFixed(1)}% (${String(m.memory_usage_mb)} of ${String(m.memory_limit_mb)} MB, ` +
    `limit from ${String(m.limit_source)}), threshold ${(maxUtilization * 100).toFixed(0)}%`
  return utilization < maxUtilization ? pass(summary) : fail(summary)
}

async function checkDocuments (ctx: Context, minDocuments: number): Promise<Outcome> {
  const { status, body } = await call(ctx, 'GET', '/documents')
  if (status !== 200) return fail(`HTTP ${status}${errorMessage(body)}`)
  const documents = asArray(asRecord(body).documents).map(asRecord)
  const bad = documents.filter((d) => typeof d.id !== 'string' || typeof d.title !== 'string' || !(Number(d.chunk_count) > 0))
  for (const d of documents) if (typeof d.id === 'string') ctx.documentIds.add(d.id)
  const chunks = documents.reduce((sum, d) => sum + (Number(d.chunk_count) || 0), 0)
  const categories = new Set(documents.map((d) => String(d.category))).size
  const summary = `${documents.length} documents, ${chunks} chunks, ${categories} categories`
  if (documents.length < minDocuments) return fail(`${summary}; expected at least ${minDocuments}`)
  if (bad.length > 0) return fail(`${summary}; ${bad.length} without id, title or chunks (first: ${JSON.stringify(bad[0])})`)
  return pass(summary)
}

/** The first query loads the embedding model on a fresh instance: reported apart from the warm latency. */
async function checkSearchOnce (ctx: Context, query: string): Promise<Outcome> {
  const reply = await call(ctx, 'POST', '/search', { query, mode: 'hybrid', top_k: 5 })
  const problem = searchProblem(ctx, reply)
  return problem
    ? fail(`"${query}": ${problem}`)
    : pass(`"${query}" in ${reply.ms.toFixed(0)} ms (includes the model load on a fresh instance)`)
}

async function checkSearchLatency (ctx: Context, queries: readonly string[], rounds: number, p95Limit: number): Promise<Outcome> {
  const times: number[] = []
  const problems: string[] = []
  for (let round = 0; round < rounds; round++) {
    for (const query of queries) {
      const reply = await call(ctx, 'POST', '/search', { query, mode: 'hybrid', top_k: 5 })
      const problem = searchProblem(ctx, reply)
      if (problem) problems.push(`"${query}": ${problem}`)
      else times.push(reply.ms)
    }
  }
  const p50 = percentile(times, 50)
  const p95 = percentile(times, 95)
  const summary = `${times.length}/${rounds * queries.length} answered, ` +
    `p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (limit ${p95Limit} ms)`
  if (problems.length > 0) return fail(`${summary}; ${problems.length} failed, first ${problems[0]}`)
  return p95 < p95Limit ? pass(summary) : fail(summary)
}

function searchProblem (ctx: Context, reply: Reply): string | undefined {
  if (reply.status !== 200) return `HTTP ${reply.status}${errorMessage(reply.body)}`
  const results = asArray(asRecord(reply.body).results).map(asRecord)
  if (results.length === 0) return 'no results'
  const unknown = results.find((r) => ctx.documentIds.size > 0 && !ctx.documentIds.has(String(r.document_id)))
  if (unknown) return `result from unknown document ${String(unknown.document_id)}`
  return undefined
}

async function checkChat (ctx: Context, question: string, expectMode: 'llm' | 'extractive' | 'any'): Promise<Outcome> {
  const { status, body, ms } = await call(ctx, 'POST', '/chat', { question, stream: false })
  if (status !== 200) return fail(`HTTP ${status}${errorMessage(body)}`)
  const reply = asRecord(body)
  const answer = typeof reply.answer === 'string' ? reply.answer : ''
  const citations = asArray(reply.citations).map(asRecord)
  const mode = String(reply.mode)
  const problems = citationProblems(answer, citations)
  if (answer.trim() === '') problems.unshift('empty answer')
  if (mode === 'refused') problems.unshift('an ordinary question was refused')
  else if (mode !== 'llm' && mode !== 'extractive') problems.unshift(`unknown mode ${mode}`)
  else if (expectMode !== 'any' && mode !== expectMode) problems.unshift(`mode ${mode}, expected ${expectMode}`)
  const unknownDoc = citations.find((c) => ctx.documentIds.size > 0 && !ctx.documentIds.has(String(c.document_id)))
  if (unknownDoc) problems.push(`citation of unknown document ${String(unknownDoc.document_id)}`)
  const summary = `${mode}, ${citations.length} citations, ${referencedIds(answer).length} markers, ${ms.toFixed(0)} ms`
  return problems.length === 0 ? pass(summary) : fail(`${problems.join('; ')} (${summary}; answer: ${clip(answer, 120)})`)
}

/** Citation ids written in an answer: `[1]`, and each number of `[1, 3]`. */
export function referencedIds (answer: string): number[] {
  const ids: number[] = []
  for (const match of answer.matchAll(/\[(\d+(?:\s*,\s*\d+)*)\]/g)) {
    for (const n of (match[1] as string).split(',')) ids.push(Number(n.trim()))
  }
  return ids
}

/** Why an answer's citations are not valid: none at all, a marker without an entry, an entry without a chunk. */
export function citationProblems (answer: string, citations: ReadonlyArray<Record<string, unknown>>): string[] {
  const problems: string[] = []
  const ids = new Set(citations.map((c) => c.id))
  const referenced = referencedIds(answer)
  if (citations.length === 0) problems.push('no citations')
  if (referenced.length === 0) problems.push('no [n] marker in the answer')
  const dangling = [...new Set(referenced.filter((n) => !ids.has(n)))]
  if (dangling.length > 0) problems.push(`[${dangling.join('], [')}] not in citations (ids ${[...ids].join(', ') || 'none'})`)
  const incomplete = citations.filter((c) => typeof c.chunk_id !== 'string' || typeof c.document_id !== 'string')
  if (incomplete.length > 0) problems.push(`${incomplete.length} citations without chunk_id or document_id`)
  return problems
}

/** Nearest-rank percentile; 0 for no values. */
export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number
}

export function formatCheck (check: CheckResult): string {
  return `${check.ok ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail} [${check.ms.toFixed(0)} ms]`
}

export function formatSummary (report: SmokeReport): string {
  const verdict = report.ok ? 'smoke passed' : 'smoke FAILED'
  return `${verdict}: ${report.passed} passed, ${report.failed} failed against ${report.base_url} in ${(report.ms / 1000).toFixed(1)} s`
}

function pass (detail: string): Outcome { return { ok: true, detail } }
function fail (detail: string): Outcome { return { ok: false, detail } }

function asRecord (value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : {}
}

function asArray (value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

function errorMessage (body: unknown): string {
  const message = asRecord(body).message
  if (typeof message === 'string') return `: ${clip(message, 160)}`
  return typeof body === 'string' && body !== '' ? `: ${clip(body, 160)}` : ''
}

function describeError (err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const cause = err.cause instanceof Error ? ` (${err.cause.message})` : ''
  const code = 'code' in err && typeof err.code === 'string' ? `${err.code}: ` : ''
  return `${code}${err.message}${cause}`
}

function clip (text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

function round (ms: number): number {
  return Math.round(ms * 10) / 10
}
