import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { overallStatus, type Components } from '../lib/health.js'
import { toMb } from '../lib/memory.js'
import { version } from '../lib/version.js'
import { HealthSchema } from '../schemas/operations.js'
import { ref } from '../schemas/shared.js'

const health: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/health', {
    config: { rateLimit: false, quietLog: true },
    schema: {
      tags: ['operations'],
      operationId: 'getHealth',
      summary: 'Service health',
      description: 'For platform health checks: 200 when healthy or degraded (answers are possible), 503 when unhealthy, with each component\'s state. Cheap, never loads the model, not rate limited and never needs a key.',
      response: {
        200: ref(HealthSchema, { description: 'healthy or degraded: the service answers' }),
        503: ref(HealthSchema, { description: 'unhealthy: the service cannot answer (e.g. the index is unreadable)' })
      }
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
