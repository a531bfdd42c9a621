import { Type, type Static } from 'typebox'

/**
 * Each component's states, declared once: /health and /admin/reload report them, and lib/ derives its
 * types from them (Static<>), so a new state is added here and nowhere else.
 */
export const VECTOR_STORE_STATES = ['operational', 'model_mismatch', 'unavailable'] as const
export const VectorStoreStateSchema = Type.Enum(VECTOR_STORE_STATES)
export type VectorStoreState = Static<typeof VectorStoreStateSchema>
export const EmbeddingStateSchema = Type.Enum(['operational', 'not_loaded', 'unavailable'])
export type EmbeddingState = Static<typeof EmbeddingStateSchema>
export const LlmStateSchema = Type.Enum(['operational', 'not_configured', 'circuit_open'])
export type LlmState = Static<typeof LlmStateSchema>
export const MemoryStateSchema = Type.Enum(['operational', 'pressure'])
export type MemoryState = Static<typeof MemoryStateSchema>

export const HealthSchema = Type.Object({
  status: Type.Enum(
    ['healthy', 'degraded', 'unhealthy'],
    { description: 'healthy or degraded: answers are possible (HTTP 200); unhealthy: they are not (HTTP 503)' }
  ),
  version: Type.String(),
  components: Type.Object({
    vector_store: VectorStoreStateSchema,
    embedding_service: EmbeddingStateSchema,
    llm_service: LlmStateSchema,
    memory_manager: MemoryStateSchema
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
    components: {
      vector_store: 'operational',
      embedding_service: 'operational',
      llm_service: 'operational',
      memory_manager: 'operational'
    },
    performance: { memory_usage_mb: 112, response_time_avg_ms: 4.1, uptime_hours: 0.5 }
  }]
})

export const LivenessSchema = Type.Object({
  status: Type.Literal('alive')
}, { $id: 'Liveness', description: 'The process runs and its event loop answers', examples: [{ status: 'alive' }] })

export const ReadinessSchema = Type.Object({
  status: Type.Enum(['ready', 'not_ready']),
  reason: Type.Optional(Type.Enum(['index_unavailable', 'memory_pressure'], { description: 'Why the service would not answer now' }))
}, {
  $id: 'Readiness',
  description: 'Whether search and chat would be answered now',
  examples: [{ status: 'ready' }, { status: 'not_ready', reason: 'index_unavailable' }]
})

export type Components = Static<typeof HealthSchema>['components']
export type OverallStatus = Static<typeof HealthSchema>['status']
export type NotReadyReason = NonNullable<Static<typeof ReadinessSchema>['reason']>
