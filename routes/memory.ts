import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { statSync } from 'node:fs'
import { Type } from 'typebox'
import { toMb } from '../lib/memory.js'

const MemorySchema = Type.Object({
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
})

const memory: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/memory', {
    schema: { tags: ['operations'], summary: 'Memory figures of the process', response: { 200: MemorySchema } }
  }, async () => {
    const m = fastify.memoryMonitor.snapshot()
    return {
      memory_usage_mb: toMb(m.rssBytes),
      memory_available_mb: toMb(Math.max(0, m.limit.bytes - m.rssBytes)),
      memory_utilization: Number(m.utilization.toFixed(4)),
      memory_limit_mb: toMb(m.limit.bytes),
      limit_source: m.limit.source,
      heap_used_mb: toMb(m.heapUsedBytes),
      heap_total_mb: toMb(m.heapTotalBytes),
      external_mb: toMb(m.externalBytes),
      gc_collections: m.gcCollections,
      embedding_model: fastify.embedder.card.id,
      embedding_model_loaded: fastify.embedder.loaded,
      vector_db_size_mb: toMb(fileSize(fastify.vectorStore.path))
    }
  })
}

export default memory

function fileSize (path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
