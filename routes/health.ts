import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { notReadyReason, overallStatus } from '../lib/ops/health.js'
import { toMb } from '../lib/ops/memory.js'
import { version } from '../lib/ops/version.js'
import { HealthSchema, LivenessSchema, ReadinessSchema, type Components } from '../schemas/health.js'
import { operation } from '../schemas/operations.js'
import { responses } from '../schemas/shared.js'

const probe = { rateLimit: false, quietLog: true } as const

const health: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/health/live', {
    config: probe,
    schema: operation('getLiveness', { response: responses(LivenessSchema, { 200: 'alive' }) })
  }, async () => ({ status: 'alive' as const }))

  fastify.get('/health/ready', {
    config: probe,
    schema: operation('getReadiness', {
      response: responses(ReadinessSchema, {
        200: 'ready: route traffic here',
        503: 'not ready: the index is unavailable or memory is under pressure'
      })
    })
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
    schema: operation('getHealth', {
      response: responses(HealthSchema, {
        200: 'healthy or degraded: the service answers',
        503: 'unhealthy: the service cannot answer (e.g. the index is unreadable)'
      })
    })
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
