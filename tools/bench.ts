/**
 * `npm run bench` (run `npm run build` first): the compiled server as `npm start` runs it (tools/server-command), driven by
 * autocannon. GET /health, POST /search (hybrid), POST /chat (extractive: no LLM) and its
 * OpenAI-compatible twin POST /v1/chat/completions (concurrency 1 and 10 only) on one server;
 * POST /chat with an LLM on a second one, whose LLM is a local OpenAI-compatible server
 * answering after 300 ms. Each at concurrency 1, 10 and 50 for --duration seconds (default 5).
 * The server's RSS is sampled from /proc every 100 ms. Writes bench/results.json and prints a
 * Markdown table beside the original deployment's published figures.
 *   npm run bench -- [--duration 5]
 *
 * With --index-scaling N it measures the index instead (for docs/scaling.md): the build's embedding
 * time per chunk, then copies of the committed index grown to 10x, 100x ... up to N chunks
 * (the real chunks' texts again, their vectors perturbed), with file bytes per chunk and the time
 * of a kNN query (sqlite-vec scans every vector) and of a keyword query at each size.
 */
import Database from 'better-sqlite3'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import * as sqliteVec from 'sqlite-vec'
import { createEmbedder } from '../lib/embedding/embedder.js'
import { readMeta } from '../lib/search/index-schema.js'
import { defaultIndexPath, defaultModelDir, repoRoot } from '../lib/paths.js'
import { openVectorStore } from '../lib/search/vector-store.js'
import { buildIndex, defaultCorpusDir } from '../lib/corpus/build-index.js'
import { loadQuestions } from './eval.js'
import { startFakeLlmServer } from './lib/fake-llm-server.js'
import {
  cpuMs,
  freePort,
  markdownTable,
  numberFlags,
  percentile,
  round,
  runLoad,
  RssSampler,
  ServerProcess,
  waitFor200,
  type LoadResult
} from './bench-util.js'

const LLM_DELAY_MS = 300
const BENCH_LLM_ANSWER = 'Full-time employees accrue paid time off every month, as the policy describes [1].'
const CONCURRENCY = [1, 10, 50]
export const RESULTS_PATH = join(repoRoot, 'bench', 'results.json')

/** What the original deployment published, per route. */
export const PUBLISHED = {
  health: '< 100 ms',
  search: '< 500 ms',
  chat: '2–3 s',
  rss: '~187–200 MB',
  concurrency: '20–30 concurrent requests'
}
export const BUDGETS = {
  health_p99_ms: 5,
  rss_steady_mb: 150,
  rss_peak_mb: 200,
  startup_ms: 300,
  first_query_ms: 500,
  search_c1_p50_ms: 10
}

interface Scenario {
  name: 'health' | 'search' | 'chat_extractive' | 'openai_extractive' | 'chat_llm'
  label: string
  method: 'GET' | 'POST'
  path: string
  body?: (n: number) => unknown
  published: string
  server: 'plain' | 'llm'
  /** Default CONCURRENCY. */
  concurrency?: number[]
}

export interface ScenarioResult extends LoadResult {
  scenario: Scenario['name']
  route: string
  connections: number
  seconds: number
  rss_peak_mb: number
  /** Server CPU time per answered request (user + system). */
  cpu_ms_per_request?: number
}

// Real questions in a fixed rotation: the embedding cache helps only as much as it would in use.
export const questions: readonly string[] = loadQuestions().map((q) => q.question)
const pick = (n: number): string => questions[n % questions.length] as string

const SCENARIOS: Scenario[] = [
  { name: 'health', label: 'GET /health', method: 'GET', path: '/health', published: PUBLISHED.health, server: 'plain' },
  {
    name: 'search',
    label: 'POST /search (hybrid)',
    method: 'POST',
    path: '/search',
    body: (n) => ({ query: pick(n), mode: 'hybrid' }),
    published: PUBLISHED.search,
    server: 'plain'
  },
  {
    name: 'chat_extractive',
    label: 'POST /chat (extractive)',
    method: 'POST',
    path: '/chat',
    body: (n) => ({ question: pick(n) }),
    published: PUBLISHED.chat,
    server: 'plain'
  },
  {
    name: 'openai_extractive',
    label: 'POST /v1/chat/completions (extractive)',
    method: 'POST',
    path: '/v1/chat/completions',
    body: (n) => ({ model: 'policy-rag', messages: [{ role: 'user', content: pick(n) }] }),
    published: PUBLISHED.chat,
    server: 'plain',
    concurrency: [1, 10]
  },
  {
    name: 'chat_llm',
    label: `POST /chat (LLM, ${LLM_DELAY_MS} ms)`,
    method: 'POST',
    path: '/chat',
    body: (n) => ({ question: pick(n) }),
    published: PUBLISHED.chat,
    server: 'llm'
  }
]

export interface Running { server: ServerProcess, url: string, sampler: RssSampler, startupMs: number, stop: () => Promise<void> }

/**
 * Starts the compiled server as deployed (LOG_LEVEL info: one line per request) with rate limiting off,
 * on a known port, and waits for /health; its log lines are read but not kept. RSS sampling starts.
 */
export async function startBenchServer (env: Record<string, string> = {}): Promise<Running> {
  const port = await freePort()
  const server = ServerProcess.start({ entry: 'dist', port, env: { LOG_LEVEL: 'info', RATE_LIMIT_MAX: '0', ...env } })
  const url = `http://127.0.0.1:${port}`
  const startupMs = await waitFor200(`${url}/health`, server.spawnedAt, { server })
  server.retainLogs(false)
  const sampler = new RssSampler(server.pid)
  const stop = async (): Promise<void> => {
    sampler.stop()
    await server.stop()
  }
  return { server, url, sampler, startupMs, stop }
}

/** The first query (model load included) and a few of every request, checking they succeed. */
async function warmUp (running: Running, scenarios: Scenario[]): Promise<number> {
  const started = performance.now()
  await call(running.url, 'POST', '/search', { query: 'how many vacation days do I get' })
  const firstQueryMs = performance.now() - started
  for (let n = 0; n < 30; n++) {
    for (const s of scenarios) await call(running.url, s.method, s.path, s.body?.(n))
  }
  return firstQueryMs
}

async function call (url: string, method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(url + path, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`)
}

async function runScenario (running: Running, s: Scenario, connections: number, seconds: number): Promise<ScenarioResult> {
  const from = running.sampler.elapsed()
  const cpuBefore = cpuMs(running.server.pid)
  const result = await runLoad({ url: running.url + s.path, method: s.method, connections, seconds, ...(s.body ? { body: s.body } : {}) })
  const cpuAfter = cpuMs(running.server.pid)
  running.sampler.sample()
  const cpu = cpuBefore === undefined || cpuAfter === undefined || result.requests === 0
    ? {}
    : { cpu_ms_per_request: round((cpuAfter - cpuBefore) / result.requests, 3) }
  return { scenario: s.name, route: s.label, connections, seconds, ...result, rss_peak_mb: round(running.sampler.peak(from)), ...cpu }
}

function rssSummary (sampler: RssSampler, warmedAt: number): { after_warm_up_mb: number, median_mb: number, peak_mb: number } {
  const after = sampler.samples.filter((s) => s.t_ms >= warmedAt).map((s) => s.mb)
  return {
    after_warm_up_mb: round(after[0] ?? 0),
    median_mb: round(percentile(after, 50)),
    peak_mb: round(after.reduce((m, v) => Math.max(m, v), 0))
  }
}

function table (results: ScenarioResult[]): string {
  const published = new Map(SCENARIOS.map((s) => [s.name, s.published]))
  return markdownTable(
    ['route', 'concurrency', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'peak RSS MB', 'CPU ms/req', 'original (published)'],
    results.map((r) => [
      r.route,
      r.connections,
      r.rps,
      r.p50_ms,
      r.p99_ms,
      r.errors,
      r.rss_peak_mb,
      r.cpu_ms_per_request ?? '',
      published.get(r.scenario) ?? ''
    ])
  )
}

/** Merges one section into bench/results.json, leaving the sections other tools wrote. */
export function writeResults (section: string, value: unknown): void {
  let current: Record<string, unknown> = {}
  try {
    current = JSON.parse(readFileSync(RESULTS_PATH, 'utf8')) as Record<string, unknown>
  } catch {
    // First run: a new file.
  }
  mkdirSync(dirname(RESULTS_PATH), { recursive: true })
  const machine = {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    memory_gb: round(totalmem() / 2 ** 30),
    node: process.version
  }
  const measured = { measured_at: new Date().toISOString(), ...value as object }
  const next = { ...current, machine, published: PUBLISHED, budgets: BUDGETS, [section]: measured }
  writeFileSync(RESULTS_PATH, `${JSON.stringify(next, null, 2)}\n`)
}

interface BaseChunk { document_id: string, heading: string, text: string, category: string, vector: Float32Array }

function readChunks (path: string): BaseChunk[] {
  const db = new Database(path, { readonly: true })
  sqliteVec.load(db)
  try {
    const rows = db.prepare(`SELECT c.document_id, c.heading, c.text, v.category, v.embedding FROM chunks c
      JOIN chunks_vec v ON v.chunk_rowid = c.rowid ORDER BY c.rowid`).all() as Array<Omit<BaseChunk, 'vector'> & { embedding: Buffer }>
    return rows.map(({ embedding, ...row }) => ({
      ...row,
      vector: new Float32Array(embedding.buffer.slice(embedding.byteOffset, embedding.byteOffset + embedding.byteLength))
    }))
  } finally {
    db.close()
  }
}

/** A unit vector near `v`: synthetic chunks spread around the real ones, as a bigger corpus would. */
function perturb (v: Float32Array, seed: number, amount = 0.5): Float32Array {
  let x = seed * 2654435761 % 4294967296
  const out = v.map((value) => {
    x = (x * 1664525 + 1013904223) % 4294967296
    return value + amount * ((x / 4294967296) - 0.5) / Math.sqrt(v.length) * 4
  })
  const norm = Math.sqrt(out.reduce((sum, value) => sum + value * value, 0))
  return out.map((value) => value / norm)
}

/** The committed index with synthetic chunks added until it holds `total`. */
function grownIndex (path: string, base: BaseChunk[], total: number): void {
  copyFileSync(defaultIndexPath, path)
  const db = new Database(path)
  sqliteVec.load(db)
  try {
    const chunk = db.prepare('INSERT INTO chunks (rowid, id, document_id, ordinal, heading, text, start, "end") ' +
      'VALUES (?, ?, ?, ?, ?, ?, 0, 0)')
    const vec = db.prepare('INSERT INTO chunks_vec (chunk_rowid, embedding, category, document_id) VALUES (?, ?, ?, ?)')
    db.transaction(() => {
      for (let i = base.length; i < total; i++) {
        const src = base[i % base.length] as BaseChunk
        const vector = perturb(src.vector, i)
        chunk.run(BigInt(i + 1), `synthetic#${i}`, src.document_id, 1000 + i, src.heading, src.text)
        vec.run(BigInt(i + 1), Buffer.from(vector.buffer), src.category, src.document_id)
      }
      db.exec("INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild')")
      db.exec("INSERT INTO chunks_fts (chunks_fts) VALUES ('optimize')")
    })()
    db.exec('VACUUM')
  } finally {
    db.close()
  }
}

function timeQueries (run: (i: number) => unknown, count: number): { p50_ms: number, p99_ms: number } {
  const times: number[] = []
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    run(i)
    times.push(performance.now() - started)
  }
  return { p50_ms: round(percentile(times, 50), 2), p99_ms: round(percentile(times, 99), 2) }
}

async function indexScaling (maxChunks: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-index-'))
  try {
    const embedder = createEmbedder({ modelDir: defaultModelDir, cacheSize: 0 })
    const build = await buildIndex({ corpusDir: defaultCorpusDir, outPath: join(dir, 'rebuilt.sqlite'), embedder })
    await embedder.close()
    const embedMsPerChunk = round(build.timings_ms.embed / build.chunks, 2)
    console.error(`build: ${build.chunks} chunks embedded in ${build.timings_ms.embed} ms (${embedMsPerChunk} ms per chunk), ` +
      `total ${build.timings_ms.total} ms`)

    const base = readChunks(defaultIndexPath)
    const metaDb = new Database(defaultIndexPath, { readonly: true })
    const fingerprint = readMeta(metaDb).embedding_fingerprint
    metaDb.close()
    const sizes = [base.length]
    for (let n = base.length * 10; n <= maxChunks; n *= 10) sizes.push(n)
    const rows: Array<Record<string, number>> = []
    for (const n of sizes) {
      const path = join(dir, `${n}.sqlite`)
      if (n === base.length) copyFileSync(defaultIndexPath, path)
      else grownIndex(path, base, n)
      const store = openVectorStore(path, { expectedFingerprint: fingerprint })
      const count = n >= 50_000 ? 20 : 50
      const knn = timeQueries((i) => store.vectorSearch(perturb((base[i % base.length] as BaseChunk).vector, 7 + i, 0.8), 20), count)
      const keyword = timeQueries((i) => store.keywordSearch(questions[i % questions.length] as string, 20), count)
      store.close()
      const bytes = statSync(path).size
      rows.push({
        chunks: n,
        index_mb: round(bytes / 2 ** 20, 1),
        bytes_per_chunk: Math.round(bytes / n),
        knn_p50_ms: knn.p50_ms,
        knn_p99_ms: knn.p99_ms,
        keyword_p50_ms: keyword.p50_ms,
        keyword_p99_ms: keyword.p99_ms
      })
      console.error(JSON.stringify(rows.at(-1)))
      rmSync(path)
    }
    writeResults('index_scaling', {
      build: {
        chunks: build.chunks,
        embed_ms: build.timings_ms.embed,
        embed_ms_per_chunk: embedMsPerChunk,
        total_ms: build.timings_ms.total,
        bytes: build.bytes
      },
      sizes: rows
    })
    const sizeRows = rows.map((r) =>
      [r.chunks, r.index_mb, r.bytes_per_chunk, r.knn_p50_ms, r.knn_p99_ms, r.keyword_p50_ms, r.keyword_p99_ms] as number[])
    const sizeHeader = ['chunks', 'index MB', 'bytes/chunk', 'kNN p50 ms', 'kNN p99 ms', 'keyword p50 ms', 'keyword p99 ms']
    console.log(markdownTable(sizeHeader, sizeRows))
    console.log(`\nIndex build: ${embedMsPerChunk} ms of embedding per chunk ` +
      `(${build.chunks} chunks in ${build.timings_ms.embed} ms, one thread).`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main (): Promise<void> {
  const { duration, 'index-scaling': scaling } = numberFlags(process.argv.slice(2), { duration: 5, 'index-scaling': 0 })
  if (scaling > 0) {
    await indexScaling(scaling)
    return
  }
  // The provider's stand-in: a cited answer after its latency; counted, not recorded, under load.
  const llm = await startFakeLlmServer({
    record: false,
    default: {
      delayMs: LLM_DELAY_MS, text: BENCH_LLM_ANSWER, model: 'bench/fake-llm', usage: { prompt_tokens: 800, completion_tokens: 20 }
    }
  })
  const plain = await startBenchServer()
  const withLlm = await startBenchServer({ LLM_BASE_URL: llm.url })
  const stop = async (): Promise<void> => {
    await Promise.all([plain.stop(), withLlm.stop()])
    await llm.close()
  }
  process.once('SIGINT', () => { void stop().then(() => process.exit(130)) })
  try {
    const running = { plain, llm: withLlm }
    const firstQueryMs = await warmUp(plain, SCENARIOS.filter((s) => s.server === 'plain'))
    await warmUp(withLlm, SCENARIOS.filter((s) => s.server === 'llm'))
    const warmedAt = { plain: plain.sampler.elapsed(), llm: withLlm.sampler.elapsed() }
    const results: ScenarioResult[] = []
    for (const s of SCENARIOS) {
      for (const c of s.concurrency ?? CONCURRENCY) {
        const r = await runScenario(running[s.server], s, c, duration)
        console.error(`${r.route} c${c}: ${r.rps} req/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, ` +
          `${r.errors} errors, RSS peak ${r.rss_peak_mb} MB`)
        results.push(r)
      }
    }
    const rss = { plain: rssSummary(plain.sampler, warmedAt.plain), llm: rssSummary(withLlm.sampler, warmedAt.llm) }
    const health50 = results.find((r) => r.scenario === 'health' && r.connections === 50)
    const checks = {
      health_p99_c50_ok: health50 !== undefined && health50.p99_ms <= BUDGETS.health_p99_ms && health50.errors === 0,
      rss_steady_ok: Math.max(rss.plain.median_mb, rss.llm.median_mb) <= BUDGETS.rss_steady_mb,
      rss_peak_ok: Math.max(rss.plain.peak_mb, rss.llm.peak_mb) <= BUDGETS.rss_peak_mb
    }
    const openaiVsChat = compare(results, 'openai_extractive', 'chat_extractive')
    writeResults('bench', {
      duration_s: duration,
      llm_delay_ms: LLM_DELAY_MS,
      startup_ms: round(plain.startupMs),
      first_query_ms: round(firstQueryMs),
      rss,
      checks,
      openai_vs_chat: openaiVsChat,
      scenarios: results
    })

    console.log(table(results))
    console.log(`\nRSS (no LLM server): after warm-up ${rss.plain.after_warm_up_mb} MB, ` +
      `median ${rss.plain.median_mb} MB, peak ${rss.plain.peak_mb} MB; ` +
      `(LLM server): after warm-up ${rss.llm.after_warm_up_mb} MB, median ${rss.llm.median_mb} MB, peak ${rss.llm.peak_mb} MB. ` +
      `Original: ${PUBLISHED.rss}, ${PUBLISHED.concurrency}.`)
    console.log(`Budgets: health p99 <= ${BUDGETS.health_p99_ms} ms with 0 errors at c50: ${pass(checks.health_p99_c50_ok)}; ` +
      `RSS steady <= ${BUDGETS.rss_steady_mb} MB: ${pass(checks.rss_steady_ok)}; ` +
      `peak <= ${BUDGETS.rss_peak_mb} MB: ${pass(checks.rss_peak_ok)}.`)
    const ratios = openaiVsChat.map((r) => `c${r.connections} ${r.rps_ratio} / ${r.p50_ratio} / ${r.cpu_ratio ?? '?'}`).join(', ')
    console.log('/v1/chat/completions against /chat (extractive), ratios of req/s, p50 and server CPU per request: ' +
      `${ratios} (within 10 %: 0.9–1.1).`)
    console.log(`Results in ${RESULTS_PATH}`)
  } finally {
    await stop()
  }
}

interface Comparison { connections: number, rps_ratio: number, p50_ratio: number, cpu_ratio?: number }

/** Per concurrency both ran at: req/s, p50 and server CPU per request of `name` divided by `baseline`'s. */
function compare (results: ScenarioResult[], name: Scenario['name'], baseline: Scenario['name']): Comparison[] {
  return results.filter((r) => r.scenario === name).flatMap((r) => {
    const base = results.find((b) => b.scenario === baseline && b.connections === r.connections)
    if (base === undefined) return []
    const cpu = r.cpu_ms_per_request !== undefined && base.cpu_ms_per_request !== undefined
      ? { cpu_ratio: round(r.cpu_ms_per_request / base.cpu_ms_per_request, 2) }
      : {}
    return [{ connections: r.connections, rps_ratio: round(r.rps / base.rps, 2), p50_ratio: round(r.p50_ms / base.p50_ms, 2), ...cpu }]
  })
}

function pass (ok: boolean): string {
  return ok ? 'pass' : 'FAIL'
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) await main()
