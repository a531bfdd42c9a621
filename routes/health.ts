import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { notReadyReason, overallStatus, type Components } from '../lib/health.js'
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

const LiveSchema = Type.Object({ status: Type.Literal('alive') })

const ReadySchema = Type.Object({
  status: Type.Enum(['ready', 'not_ready']),
  reason: Type.Optional(Type.Enum(['index_unavailable', 'memory_pressure']))
})

const probe = { rateLimit: false, quietLog: true } as const

const health: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/health/live', {
    config: probe,
    schema: {
      tags: ['operations'],
      summary: 'Liveness: the process runs and its event loop answers; restart the machine only when this fails',
      response: { 200: LiveSchema }
    }
  }, async () => ({ status: 'alive' as const }))

  fastify.get('/health/ready', {
    config: probe,
    schema: {
      tags: ['operations'],
      summary: 'Readiness: 200 when the index is open and search and chat would be answered, else 503 with the reason',
      response: { 200: ReadySchema, 503: ReadySchema }
    }
  }, async (_request, reply) => {
    const reason = notReadyReason({
      vector_store: fastify.vectorStore.status,
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
