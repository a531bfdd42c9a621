import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { registry } from '../lib/ops/metric.js'
import { MetricsTextSchema } from '../schemas/metrics.js'
import { operation } from '../schemas/operations.js'

const metrics: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/metrics', {
    config: { rateLimit: false, auth: 'metrics', quietLog: true },
    schema: operation('getMetrics', {
      response: {
        200: { description: 'The metrics in the Prometheus text format', content: { 'text/plain': { schema: MetricsTextSchema } } }
      }
    })
  }, async (_request, reply) => {
    reply.type(registry.contentType)
    return registry.metrics()
  })
}

export default metrics
