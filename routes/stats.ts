import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'

const Counts = Type.Record(Type.String(), Type.Number())
const Nullable = Type.Union([Type.Number(), Type.Null()])

const StatsSchema = Type.Object({
  since: Type.String({ description: 'When the process started (ISO 8601)' }),
  uptime_s: Type.Integer(),
  requests: Type.Object({
    total: Type.Number(),
    errors_5xx: Type.Number(),
    errors_4xx: Type.Number(),
    routes: Type.Record(Type.String(), Type.Object({ count: Type.Number(), p50_ms: Nullable, p95_ms: Nullable }))
  }),
  answers: Counts,
  refusals: Counts,
  guardrail_triggers: Counts,
  citations: Counts,
  searches: Counts,
  top_similarity: Type.Object({
    count: Type.Number(),
    p50: Nullable,
    low_share: Type.Union([Type.Number(), Type.Null()], { description: 'Share of retrievals whose best match scored below 0.3: questions the policies likely do not cover' })
  })
})

const stats: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/stats', {
    config: { auth: 'metrics' },
    schema: {
      tags: ['operations'],
      summary: 'Usage since start (answers by mode, refusals, guardrail triggers, citations, latency); stores no questions',
      response: { 200: StatsSchema }
    }
  }, async () => fastify.usage.summary())
}

export default stats
