/**
 * Embedding benchmark: model load time, the RSS the model adds, single-query latency (p50/p99
 * after warm-up, cache off so every query runs the model) and batch-of-32 throughput.
 * The last line printed is one JSON object with p50_ms, p99_ms, load_ms, rss_added_mb, batch32_per_s.
 *
 * RSS is split the way design.md measures it: `rss_runtime_mb` is onnxruntime-node itself
 * (module, native library, environment: paid once, whatever the model), `rss_added_mb` what this
 * model adds on top (session, tokenizer, warm-up), both after a full GC.
 *
 * Usage: bench-embed [--model-dir <dir>] [--threads 1] [--queries 300] [--batches 20]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import v8 from 'node:v8'
import vm from 'node:vm'
import { createEmbedder } from '../lib/embedding/embedder.js'
import { GraphBuilder } from '../lib/embedding/convert/onnx-builder.js'
import { defaultModelDir } from '../lib/paths.js'

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

function settledRss (): number {
  gc()
  return process.memoryUsage.rss()
}

/** Loads onnxruntime-node and runs a one-node model, so the runtime's own memory is in the baseline. */
async function startRuntime (): Promise<void> {
  const ort = await import('onnxruntime-node')
  const dir = mkdtempSync(join(tmpdir(), 'bench-embed-'))
  try {
    const g = new GraphBuilder('identity')
    g.input('x', 'float32', ['n'])
    g.node('Identity', ['x'], 'identity', {}, ['y'])
    g.output('y', 'float32', ['n'])
    writeFileSync(join(dir, 'identity.onnx'), g.toBytes({ producerName: 'bench-embed', producerVersion: '1', opset: 18 }))
    const session = await ort.InferenceSession.create(join(dir, 'identity.onnx'))
    await session.run({ x: new ort.Tensor('float32', Float32Array.of(1), [1]) })
    await session.release()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const QUESTIONS = [
  'How many vacation days do I get?',
  'Can I carry unused PTO into next year?',
  'Who approves my expense report?',
  'How do I reset my password?',
  'Is there a dress code for client meetings?',
  'What happens if I lose my company laptop?',
  'How much parental leave can I take?',
  'Are contractors allowed to access the VPN?',
  'When is the deadline for submitting receipts?',
  'Can I work from another country for a month?',
  'What is the reimbursement rate per mile?',
  'Do I need a doctor\'s note for sick leave?',
  'How do I report a safety incident?',
  'What counts as a conflict of interest?',
  'May I accept a gift from a supplier?',
  'How long do we keep customer data?'
]

export interface EmbedBench {
  model: string
  threads: number
  queries: number
  p50_ms: number
  p99_ms: number
  load_ms: number
  first_query_ms: number
  rss_added_mb: number
  rss_runtime_mb: number
  rss_added_after_batches_mb: number
  batch32_per_s: number
}

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number
}

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits

export async function benchEmbed (opts: { modelDir: string, threads: number, queries: number, batches: number }): Promise<EmbedBench> {
  let loadMs = Number.NaN
  const embedder = createEmbedder({
    modelDir: opts.modelDir,
    intraOpNumThreads: opts.threads,
    cacheSize: 0,
    onLoad: (ms) => { loadMs = ms }
  })
  if (embedder.status() === 'unavailable') throw new Error(embedder.reason)
  try {
    const rssStart = settledRss()
    await startRuntime()
    const rssRuntime = settledRss()
    let started = performance.now()
    await embedder.embed([QUESTIONS[0] as string])
    const firstQueryMs = performance.now() - started

    const ask = (i: number) => `${QUESTIONS[i % QUESTIONS.length] as string}${i >= QUESTIONS.length ? ` (${i})` : ''}`
    for (let i = 0; i < 50; i++) await embedder.embed([ask(i)])
    const latencies: number[] = []
    for (let i = 0; i < opts.queries; i++) {
      started = performance.now()
      await embedder.embed([ask(i)])
      latencies.push(performance.now() - started)
    }
    latencies.sort((a, b) => a - b)
    const rssLoaded = settledRss()

    const batch = Array.from({ length: 32 }, (_, i) => `${ask(i)} Please answer briefly.`)
    await embedder.embed(batch)
    started = performance.now()
    for (let b = 0; b < opts.batches; b++) await embedder.embed(batch.map((q) => `${q} #${b}`))
    const perSecond = (32 * opts.batches) / ((performance.now() - started) / 1000)
    const rssAfterBatches = settledRss()
    const mb = (bytes: number) => round(bytes / 2 ** 20, 1)

    return {
      model: embedder.card.id,
      threads: opts.threads,
      queries: opts.queries,
      p50_ms: round(percentile(latencies, 50), 3),
      p99_ms: round(percentile(latencies, 99), 3),
      load_ms: round(loadMs, 1),
      first_query_ms: round(firstQueryMs, 1),
      rss_added_mb: mb(rssLoaded - rssRuntime),
      rss_runtime_mb: mb(rssRuntime - rssStart),
      rss_added_after_batches_mb: mb(rssAfterBatches - rssRuntime),
      batch32_per_s: round(perSecond, 0)
    }
  } finally {
    await embedder.close()
  }
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      'model-dir': { type: 'string' },
      threads: { type: 'string', default: '1' },
      queries: { type: 'string', default: '300' },
      batches: { type: 'string', default: '20' }
    }
  })
  const result = await benchEmbed({
    modelDir: values['model-dir'] ? resolve(values['model-dir']) : defaultModelDir,
    threads: Number(values.threads),
    queries: Math.max(200, Number(values.queries)),
    batches: Math.max(1, Number(values.batches))
  })
  console.log(`bench-embed: ${result.model}, ${result.threads} intra-op thread(s), ${result.queries} queries after 50 warm-up`)
  console.log(`bench-embed: load ${result.load_ms} ms (first query ${result.first_query_ms} ms)`)
  console.log(`bench-embed: RSS: onnxruntime itself +${result.rss_runtime_mb} MB, the model +${result.rss_added_mb} MB ` +
    `(+${result.rss_added_after_batches_mb} MB once batches of 32 have run)`)
  console.log(`bench-embed: single query p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms; ` +
    `batch of 32: ${result.batch32_per_s} sentences/s`)
  console.log(JSON.stringify(result))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(`bench-embed: failed: ${err instanceof Error ? err.message : String(err)}`)
    process.exitCode = 1
  })
}
