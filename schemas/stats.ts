import { Type } from 'typebox'

const Counts = Type.Record(Type.String(), Type.Number())
const Nullable = Type.Union([Type.Number(), Type.Null()])

export const StatsSchema = Type.Object({
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
    low_share: Type.Union(
      [Type.Number(), Type.Null()],
      { description: 'Share of retrievals whose best match scored below 0.3: questions the policies likely do not cover' }
    )
  })
}, {
  $id: 'Stats',
  description: 'Usage counters since start; no questions are stored',
  examples: [{
    since: '2026-12-01T06:15:09.420Z',
    uptime_s: 3600,
    requests: { total: 5, errors_5xx: 0, errors_4xx: 0, routes: { 'POST /chat': { count: 1, p50_ms: 1750, p95_ms: 2425 } } },
    answers: { extractive: 1 },
    refusals: {},
    guardrail_triggers: {},
    citations: { 'pto-policy': 1 },
    searches: { hybrid: 2 },
    top_similarity: { count: 2, p50: 0.5, low_share: 0 }
  }]
})
