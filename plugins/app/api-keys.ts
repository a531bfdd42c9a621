import fp from 'fastify-plugin'
import { UnauthorizedError } from '../../lib/errors.js'
import { makeKeyChecker, parseApiKeys } from '../../lib/ops/api-keys.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** 'key': needs an API key when API_KEYS is set; 'metrics': only when METRICS_REQUIRE_KEY is on too. */
    auth?: 'key' | 'metrics'
  }
}

/**
 * Optional API keys. With API_KEYS unset every route is open; with it set, routes marked
 * `config.auth` answer 401 JSON without a valid bearer key. /health stays open for platform checks.
 */
export default fp(async function apiKeys (fastify) {
  const keys = parseApiKeys(fastify.config.API_KEYS)
  if (keys.length === 0) return
  const hasKey = makeKeyChecker(keys)
  const protectMetrics = fastify.config.METRICS_REQUIRE_KEY
  fastify.addHook('onRequest', async (request, reply) => {
    const auth = request.routeOptions.config.auth
    if (auth === undefined || (auth === 'metrics' && !protectMetrics)) return
    if (hasKey(request.headers.authorization)) return
    reply.header('WWW-Authenticate', 'Bearer')
    throw new UnauthorizedError()
  })
}, { name: 'api-keys', dependencies: ['config', 'rate-limit'] })
