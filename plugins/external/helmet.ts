import helmet from '@fastify/helmet'
import fp from 'fastify-plugin'

/**
 * Security headers (@fastify/helmet). The content security policy is set per page instead:
 * the chat page and /docs each send one that allows exactly what they load; JSON needs none.
 */
export default fp(async function securityHeaders (fastify) {
  await fastify.register(helmet, { contentSecurityPolicy: false, crossOriginEmbedderPolicy: false })
}, { name: 'helmet' })
