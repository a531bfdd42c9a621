import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { StatsSchema } from '../schemas/stats.js'
import { ref } from '../schemas/shared.js'

const stats: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/stats', {
    config: { auth: 'metrics' },
    schema: {
      tags: ['operations'],
      operationId: 'getStats',
      summary: 'Usage counters',
      description: 'Usage since start: answers by mode, refusals, guardrail triggers, citations by document, searches by mode and ' +
        'latency per route. No question is stored.',
      response: { 200: ref(StatsSchema, { description: 'Counters since the process started' }) }
    }
  }, async () => fastify.usageStats.summary())
}

export default stats
