import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { overallStatus, type Components } from '../lib/health.js'
import { toMb } from '../lib/memory.js'
import { version } from '../lib/version.js'

const HealthSchema = Type.Object({
  status: Type.Enum(['healthy', 'degraded', 'unhealthy']),
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
})

const health: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/health', {
    config: { rateLimit: false, quietLog: true },
    schema: {
      tags: ['operations'],
      summary: 'Health for platform checks: 200 healthy or degraded, 503 unhealthy; never loads the model',
      response: { 200: HealthSchema, 503: HealthSchema }
    }
  }, async (_request, reply) => {
    const components: Components = {
      vector_store: fastify.vectorStore.status,
      embedding_service: fastify.embedder.status(),
      llm_service: fastify.llm.status(),
      memory_manager: fastify.memoryMonitor.underPressure() ? 'pressure' : 'operational'
    }
    const status = overallStatus(components)
    reply.code(status === 'unhealthy' ? 503 : 200)
    return {
      status,
      version,
      components,
      performance: {
        memory_usage_mb: toMb(fastify.memoryMonitor.sampledRssBytes()),
        response_time_avg_ms: Math.round(fastify.responseTimeAvgMs() * 100) / 100,
        uptime_hours: Math.round((process.uptime() / 3600) * 10000) / 10000
      }
    }
  })
}

export default health
