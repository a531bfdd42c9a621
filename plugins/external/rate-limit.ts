import rateLimit from '@fastify/rate-limit'
import fp from 'fastify-plugin'

/**
 * Per-client rate limiting (@fastify/rate-limit). Clients are told by IP (behind fly's proxy,
 * `trustProxy` makes that the caller's address). Routes opt out with `config: { rateLimit: false }`.
 */
export default fp(async function rateLimiting (fastify) {
  const { RATE_LIMIT_MAX: max, RATE_LIMIT_WINDOW_MS: timeWindow } = fastify.config
  if (max === 0) return
  await fastify.register(rateLimit, { max, timeWindow })
}, { name: 'rate-limit', dependencies: ['config'] })
