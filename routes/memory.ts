import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { statSync } from 'node:fs'
import { toMb } from '../lib/ops/memory.js'
import { MemorySchema } from '../schemas/memory.js'
import { operation } from '../schemas/operations.js'
import { responses } from '../schemas/shared.js'

const memory: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/memory', {
    schema: operation('getMemory', { response: responses(MemorySchema, { 200: 'RSS, heap, the limit and its source' }) })
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
      vector_db_size_mb: toMb(fileSize(fastify.policyIndex.path))
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
