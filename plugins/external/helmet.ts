import fp from 'fastify-plugin'
import helmet from 'helmet'

/**
 * Security headers from helmet (https://helmetjs.github.io), on every response. The middleware
 * is built once here: @fastify/helmet builds it anew on every request, which was half of /health's
 * cost under load. No route uses its per-route options or CSP nonces:
 * the content security policy is set per page instead (the chat page and /docs each send one
 * that allows exactly what they load; JSON needs none).
 */
export default fp(async function securityHeaders (fastify) {
  const setHeaders = helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false })
  fastify.addHook('onRequest', (request, reply, done) => {
    setHeaders(request.raw, reply.raw, (err) => done(err instanceof Error ? err : undefined))
  })
}, { name: 'helmet' })
