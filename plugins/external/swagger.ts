import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { version } from '../../lib/version.js'

/**
 * OpenAPI 3 from the route schemas (@fastify/swagger), served at /openapi.json, with its
 * browsable page at /docs (@fastify/swagger-ui, assets served locally).
 */
export default fp(async function openapi (fastify) {
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'policy-rag',
        description: 'Answers employees\' questions about company policies from an index of the policy documents, with cited sources.',
        version
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } }
      },
      tags: [
        { name: 'operations', description: 'Health, memory and metrics' },
        { name: 'corpus', description: 'The policy documents' },
        { name: 'answers', description: 'Search and chat' }
      ]
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}` }
  })
  await fastify.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })

  fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger())
}, { name: 'openapi' })
