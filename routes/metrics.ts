import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { registry } from '../lib/ops/metric.js'
import { MetricsTextSchema } from '../schemas/metrics.js'

const metrics: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/metrics', {
    config: { rateLimit: false, auth: 'metrics', quietLog: true },
    schema: {
      tags: ['operations'],
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      description: 'Process and runtime metrics, requests by route and status, retrieval, LLM and usage counters in the Prometheus text ' +
        'exposition format. Open unless METRICS_REQUIRE_KEY is set.',
      response: {
        200: {
          description: 'The metrics in the Prometheus text format',
          content: {
            'text/plain': {
              schema: MetricsTextSchema
            }
          }
        }
      }
    }
  }, async (_request, reply) => {
    reply.type(registry.contentType)
    return registry.metrics()
  })
}

export default metrics
