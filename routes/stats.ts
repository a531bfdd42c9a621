import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { StatsSchema } from '../schemas/stats.js'
import { operation } from '../schemas/operations.js'
import { responses } from '../schemas/shared.js'

const stats: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/stats', {
    config: { auth: 'metrics' },
    schema: operation('getStats', { response: responses(StatsSchema, { 200: 'Counters since the process started' }) })
  }, async () => fastify.usageStats.summary())
}

export default stats
