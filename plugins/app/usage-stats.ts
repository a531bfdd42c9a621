import fp from 'fastify-plugin'
import type { AnswerMode } from '../../lib/answer/chat.js'
import { bucketQuantile, type Bucket } from '../../lib/ops/bucket-quantile.js'
import { counter, metricName, registry } from '../../lib/ops/metric.js'
import type { VectorStore } from '../../lib/search/vector-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    usageStats: UsageStats
  }
}

export interface AnswerRecord {
  mode: AnswerMode
  refusalReason?: string
  citedDocumentIds: readonly string[]
}

export interface UsageStats {
  recordAnswer(record: AnswerRecord): void
  summary(): Promise<UsageSummary>
}

export interface UsageSummary {
  since: string
  uptime_s: number
  requests: {
    total: number
    errors_5xx: number
    errors_4xx: number
    routes: Record<string, { count: number, p50_ms: number | null, p95_ms: number | null }>
  }
  answers: Record<string, number>
  refusals: Record<string, number>
  guardrail_triggers: Record<string, number>
  citations: Record<string, number>
  searches: Record<string, number>
  top_similarity: { count: number, p50: number | null, low_share: number | null }
}

/**
 * Usage statistics without storing anyone's questions: counters by answer mode, refusal reason and
 * cited document (bounded by the corpus's ids), and a JSON summary of them, the guardrails' trigger
 * counts and the request histograms for GET /stats.
 */
export default fp(async function usageStats (fastify) {
  const answers = counter({ name: 'answers_total', help: 'Chat answers by mode', labelNames: ['mode'] })
  const refusals = counter({ name: 'refusals_total', help: 'Refused questions by reason', labelNames: ['reason'] })
  const citations = counter({ name: 'citations_total', help: 'Sources cited in answers, by document id', labelNames: ['document_id'] })

  // The corpus's ids, read once per store (a reload swaps the store), not on every answer.
  const idsByStore = new WeakMap<VectorStore, ReadonlySet<string>>()
  const knownDocuments = (): ReadonlySet<string> => {
    const store = fastify.retriever.store()
    if (store === undefined) return new Set()
    let ids = idsByStore.get(store)
    if (ids === undefined) idsByStore.set(store, ids = new Set(store.listDocuments().map((d) => d.id)))
    return ids
  }
  const started = new Date(Date.now() - process.uptime() * 1000).toISOString()

  fastify.decorate('usageStats', {
    recordAnswer (record: AnswerRecord) {
      answers.inc({ mode: record.mode })
      if (record.mode === 'refused') refusals.inc({ reason: record.refusalReason ?? 'unspecified' })
      const known = knownDocuments()
      for (const id of record.citedDocumentIds) citations.inc({ document_id: known.has(id) ? id : 'other' })
    },
    summary: async () => summarize(started)
  })
}, { name: 'usage-stats', dependencies: ['retriever'] })

interface MetricValue { value: number, labels: Record<string, string | number>, metricName?: string }

async function values (name: string): Promise<MetricValue[]> {
  const metric = registry.getSingleMetric(metricName(name))
  if (metric === undefined) return []
  return (await metric.get()).values as MetricValue[]
}

async function byLabel (name: string, label: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const v of await values(name)) {
    const key = String(v.labels[label])
    out[key] = (out[key] ?? 0) + v.value
  }
  return out
}

async function summarize (since: string): Promise<UsageSummary> {
  const requestCounts = await values('http_requests_total')
  const routes: UsageSummary['requests']['routes'] = {}
  let total = 0
  let errors5xx = 0
  let errors4xx = 0
  for (const v of requestCounts) {
    total += v.value
    const status = String(v.labels.status_code)
    if (status.startsWith('5')) errors5xx += v.value
    if (status.startsWith('4')) errors4xx += v.value
  }
  const buckets = new Map<string, Bucket[]>()
  for (const v of await values('http_request_duration_seconds')) {
    if (v.metricName !== metricName('http_request_duration_seconds_bucket')) continue
    const key = `${v.labels.method} ${v.labels.route}`
    const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le)
    const list = buckets.get(key) ?? []
    const existing = list.find((b) => b.le === le)
    if (existing) existing.count += v.value
    else list.push({ le, count: v.value })
    buckets.set(key, list)
  }
  for (const [key, list] of buckets) {
    const count = Math.max(...list.map((b) => b.count))
    routes[key] = { count, p50_ms: toMs(bucketQuantile(list, 0.5)), p95_ms: toMs(bucketQuantile(list, 0.95)) }
  }
  const similarity = (await values('retrieval_top_similarity'))
    .filter((v) => v.metricName === metricName('retrieval_top_similarity_bucket'))
    .map((v) => ({ le: v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), count: v.value }))
  const similarityCount = Math.max(0, ...similarity.map((b) => b.count))
  const low = similarity.find((b) => b.le === 0.3)?.count ?? 0
  return {
    since,
    uptime_s: Math.round(process.uptime()),
    requests: { total, errors_5xx: errors5xx, errors_4xx: errors4xx, routes },
    answers: await byLabel('answers_total', 'mode'),
    refusals: await byLabel('refusals_total', 'reason'),
    guardrail_triggers: await byLabel('guardrail_triggers_total', 'kind'),
    citations: await byLabel('citations_total', 'document_id'),
    searches: await byLabel('searches_total', 'mode'),
    top_similarity: {
      count: similarityCount,
      p50: round(bucketQuantile(similarity, 0.5)),
      low_share: similarityCount === 0 ? null : round(low / similarityCount)
    }
  }
}

function toMs (seconds: number | null): number | null {
  return seconds === null ? null : Math.round(seconds * 100000) / 100
}

function round (value: number | null): number | null {
  return value === null ? null : Math.round(value * 1000) / 1000
}
