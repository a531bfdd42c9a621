import { Type } from 'typebox'

export const HealthSchema = Type.Object({
  status: Type.Enum(['healthy', 'degraded', 'unhealthy'], { description: 'healthy or degraded: answers are possible (HTTP 200); unhealthy: they are not (HTTP 503)' }),
  version: Type.String(),
  components: Type.Object({
    vector_store: Type.Enum(['operational', 'model_mismatch', 'unavailable']),
    embedding_service: Type.Enum(['operational', 'not_loaded', 'unavailable']),
    llm_service: Type.Enum(['operational', 'not_configured', 'circuit_open']),
    memory_manager: Type.Enum(['operational', 'pressure'])
  }),
  performance: Type.Object({
    memory_usage_mb: Type.Number(),
    response_time_avg_ms: Type.Number(),
    uptime_hours: Type.Number()
  })
}, {
  $id: 'Health',
  description: 'The service\'s health and each component\'s state',
  examples: [{
    status: 'healthy',
    version: '0.1.0',
    components: { vector_store: 'operational', embedding_service: 'operational', llm_service: 'operational', memory_manager: 'operational' },
    performance: { memory_usage_mb: 112, response_time_avg_ms: 4.1, uptime_hours: 0.5 }
  }]
})

export const LivenessSchema = Type.Object({
  status: Type.Literal('alive')
}, { $id: 'Liveness', description: 'The process runs and its event loop answers', examples: [{ status: 'alive' }] })

export const ReadinessSchema = Type.Object({
  status: Type.Enum(['ready', 'not_ready']),
  reason: Type.Optional(Type.Enum(['index_unavailable', 'memory_pressure'], { description: 'Why the service would not answer now' }))
}, { $id: 'Readiness', description: 'Whether search and chat would be answered now', examples: [{ status: 'ready' }, { status: 'not_ready', reason: 'index_unavailable' }] })

export const MemorySchema = Type.Object({
  memory_usage_mb: Type.Number({ description: 'Resident set size' }),
  memory_available_mb: Type.Number(),
  memory_utilization: Type.Number({ minimum: 0, maximum: 1 }),
  memory_limit_mb: Type.Number(),
  limit_source: Type.Enum(['cgroup', 'config', 'default']),
  heap_used_mb: Type.Number(),
  heap_total_mb: Type.Number(),
  external_mb: Type.Number(),
  gc_collections: Type.Integer(),
  embedding_model: Type.String(),
  embedding_model_loaded: Type.Boolean(),
  vector_db_size_mb: Type.Number()
}, {
  $id: 'Memory',
  description: 'The memory monitor\'s figures',
  examples: [{
    memory_usage_mb: 141.2,
    memory_available_mb: 370.8,
    memory_utilization: 0.2758,
    memory_limit_mb: 512,
    limit_source: 'cgroup',
    heap_used_mb: 35.4,
    heap_total_mb: 62.6,
    external_mb: 3.4,
    gc_collections: 4,
    embedding_model: 'universal-sentence-encoder-lite@0.2.0',
    embedding_model_loaded: true,
    vector_db_size_mb: 0.6
  }]
})

const Counts = Type.Record(Type.String(), Type.Number())
const Nullable = Type.Union([Type.Number(), Type.Null()])

export const StatsSchema = Type.Object({
  since: Type.String({ description: 'When the process started (ISO 8601)' }),
  uptime_s: Type.Integer(),
  requests: Type.Object({
    total: Type.Number(),
    errors_5xx: Type.Number(),
    errors_4xx: Type.Number(),
    routes: Type.Record(Type.String(), Type.Object({ count: Type.Number(), p50_ms: Nullable, p95_ms: Nullable }))
  }),
  answers: Counts,
  refusals: Counts,
  guardrail_triggers: Counts,
  citations: Counts,
  searches: Counts,
  top_similarity: Type.Object({
    count: Type.Number(),
    p50: Nullable,
    low_share: Type.Union([Type.Number(), Type.Null()], { description: 'Share of retrievals whose best match scored below 0.3: questions the policies likely do not cover' })
  })
}, {
  $id: 'Stats',
  description: 'Usage counters since start; no questions are stored',
  examples: [{
    since: '2026-12-01T06:15:09.420Z',
    uptime_s: 3600,
    requests: { total: 5, errors_5xx: 0, errors_4xx: 0, routes: { 'POST /chat': { count: 1, p50_ms: 1750, p95_ms: 2425 } } },
    answers: { extractive: 1 },
    refusals: {},
    guardrail_triggers: {},
    citations: { 'pto-policy': 1 },
    searches: { hybrid: 2 },
    top_similarity: { count: 2, p50: 0.5, low_share: 0 }
  }]
})

export const ReloadResultSchema = Type.Object({
  ok: Type.Boolean({ description: 'true when the file was opened and now serves' }),
  status: Type.Enum(['operational', 'model_mismatch', 'unavailable'], {
    description: 'Status of the file just opened; when ok is false it was rejected and the index already open keeps serving'
  }),
  code: Type.Optional(Type.String({ description: 'Why, as a code: INDEX_NOT_FOUND, INDEX_CORRUPT, INDEX_SCHEMA, INDEX_MODEL_MISMATCH or INDEX_UNAVAILABLE' })),
  reason: Type.Optional(Type.String({ description: 'Why the status is not operational, or why the file was rejected, in a short sentence (the detail is in the service log)' }))
}, {
  $id: 'ReloadResult',
  additionalProperties: false,
  description: 'The outcome of reopening the index file',
  examples: [{ ok: true, status: 'operational' }]
})
