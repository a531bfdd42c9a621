import { Type, type Static } from 'typebox'

/** Where the memory limit came from: the container's cgroup, MEMORY_LIMIT_MB, or the built-in default. */
export const LimitSourceSchema = Type.Enum(['cgroup', 'config', 'default'])
export type LimitSource = Static<typeof LimitSourceSchema>

export const MemorySchema = Type.Object({
  memory_usage_mb: Type.Number({ description: 'Resident set size' }),
  memory_available_mb: Type.Number(),
  memory_utilization: Type.Number({ minimum: 0, maximum: 1 }),
  memory_limit_mb: Type.Number(),
  limit_source: LimitSourceSchema,
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
