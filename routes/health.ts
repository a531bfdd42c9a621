import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { notReadyReason, overallStatus } from '../lib/ops/health.js'
import { toMb } from '../lib/ops/memory.js'
import { version } from '../lib/ops/version.js'
import { HealthSchema, LivenessSchema, ReadinessSchema, type Components } from '../schemas/health.js'
import { ref } from '../schemas/shared.js'

const probe = { rateLimit: false, quietLog: true } as const

const health: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/health/live', {
    config: probe,
    schema: {
      tags: ['operations'],
      operationId: 'getLiveness',
      summary: 'Liveness probe',
      description: 'The process runs and its event loop answers: restart the machine only when this fails. Not rate limited, never ' +
        'needs a key.',
      response: { 200: ref(LivenessSchema, { description: 'alive' }) }
    }
  }, async () => ({ status: 'alive' as const }))

  fastify.get('/health/ready', {
    config: probe,
    schema: {
      tags: ['operations'],
      operationId: 'getReadiness',
      summary: 'Readiness probe',
      description: '200 when the index is open and search and chat would be answered, else 503 with the reason. Not rate limited, never ' +
        'needs a key.',
      response: {
        200: ref(ReadinessSchema, { description: 'ready: route traffic here' }),
        503: ref(ReadinessSchema, { description: 'not ready: the index is unavailable or memory is under pressure' })
      }
    }
  }, async (_request, reply) => {
    const reason = notReadyReason({
      vector_store: fastify.policyIndex.status,
      memory_manager: fastify.memoryMonitor.underPressure() ? 'pressure' : 'operational'
    })
    if (reason === undefined) return { status: 'ready' as const }
    reply.code(503)
    return { status: 'not_ready' as const, reason }
  })

  fastify.get('/health', {
    config: probe,
    schema: {
      tags: ['operations'],
      operationId: 'getHealth',
      summary: 'Service health',
      description: 'For platform health checks: 200 when healthy or degraded (answers are possible), 503 when unhealthy, with each ' +
        'component\'s state. Cheap, never loads the model, not rate limited and never needs a key.',
      response: {
        200: ref(HealthSchema, { description: 'healthy or degraded: the service answers' }),
        503: ref(HealthSchema, { description: 'unhealthy: the service cannot answer (e.g. the index is unreadable)' })
      }
    }
  }, async (_request, reply) => {
    const components: Components = {
      vector_store: fastify.policyIndex.status,
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
        response_time_avg_ms: Math.round(fastify.metrics.responseTimeAvgMs() * 100) / 100,
        uptime_hours: Math.round((process.uptime() / 3600) * 10000) / 10000
      }
    }
  })
}

export default health
