import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { clientAddress, parseTrustProxy } from '../../lib/ops/client-address.js'
import { AuthFailuresError } from '../../lib/errors.js'
import { WindowCounter } from '../../lib/ops/window-counter.js'

type Budget = 'answer' | 'light'
type Limiter = ReturnType<FastifyInstance['rateLimit']>

/**
 * Per-client rate limiting (@fastify/rate-limit, https://github.com/fastify/fastify-rate-limit).
 * The client is told by the address TRUST_PROXY says to believe. Two budgets: /chat and /search
 * (routes that set `shedUnderPressure`) spend RATE_LIMIT_MAX, every other route, unknown paths
 * included, RATE_LIMIT_LIGHT_MAX. Failed API keys count too, and past RATE_LIMIT_AUTH_FAILURES
 * the client is refused everywhere until the window ends. The check is one onRequest hook added
 * here, before the API-key and load-shedding hooks: a flood is answered 429 before it can be
 * answered 401 or push everyone else into 503. Routes opt out with `config: { rateLimit: false }`.
 */
export default fp(async function rateLimiting (fastify) {
  const config = fastify.config
  if (config.RATE_LIMIT_MAX === 0) return
  const trust = parseTrustProxy(config.TRUST_PROXY)
  const clientOf = (request: FastifyRequest): string => clientAddress(trust, request)
  const timeWindow = config.RATE_LIMIT_WINDOW_MS

  // global: false: the library adds no per-route hooks (those would run after the auth hook).
  await fastify.register(rateLimit, { global: false, max: config.RATE_LIMIT_MAX, timeWindow, keyGenerator: clientOf, cache: 10_000 })
  const limiters: Record<Budget, Limiter> = {
    answer: fastify.rateLimit({ max: config.RATE_LIMIT_MAX, timeWindow }),
    light: fastify.rateLimit({ max: config.RATE_LIMIT_LIGHT_MAX, timeWindow })
  }
  const authMax = config.RATE_LIMIT_AUTH_FAILURES
  const authFailures = new WindowCounter({ windowMs: timeWindow })

  fastify.addHook('onRequest', async (request, reply) => {
    const routeConfig = request.routeOptions.config
    if (routeConfig.rateLimit === false) return
    if (authMax > 0) {
      const failed = authFailures.peek(clientOf(request))
      if (failed.count >= authMax) {
        const seconds = Math.max(1, Math.ceil(failed.resetInMs / 1000))
        reply.header('retry-after', String(seconds))
        throw new AuthFailuresError(seconds)
      }
    }
    await limiters[routeConfig.shedUnderPressure === true ? 'answer' : 'light'].call(fastify, request, reply)
  })

  if (authMax > 0) {
    fastify.addHook('onResponse', async (request, reply) => {
      if (reply.statusCode === 401) authFailures.add(clientOf(request))
    })
  }
}, { name: 'rate-limit', dependencies: ['config'] })
