import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifySchema, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { parseApiKeys } from '../../lib/ops/api-keys.js'
import { documentOperation, liftRequiredHeaders, pruneUnusedComponents, type OperationTraits } from '../../schemas/openapi-contract.js'
import { version } from '../../lib/ops/version.js'

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH'])

/**
 * OpenAPI 3.1 from the route schemas (@fastify/swagger), served at /openapi.json, with its
 * browsable page at /docs (@fastify/swagger-ui, assets served locally). Named schemas come from
 * plugins/app/schemas.ts; security and the 400/401/413/415/429/503 every route can get from the
 * service's machinery are derived from each route's config and the settings (lib/openapi-contract).
 */
export default fp(async function openapi (fastify) {
  const { API_KEYS, METRICS_REQUIRE_KEY, RATE_LIMIT_MAX } = fastify.config
  const keysSet = parseApiKeys(API_KEYS).length > 0
  const traitsOf = (route: RouteOptions): OperationTraits => {
    const config = route.config ?? {}
    const methods = [route.method].flat()
    const schema = route.schema ?? {}
    return {
      keyRequired: keysSet && (config.auth === 'key' || (config.auth === 'metrics' && METRICS_REQUIRE_KEY)),
      rateLimited: RATE_LIMIT_MAX > 0 && config.rateLimit !== false,
      takesBody: methods.some((m) => BODY_METHODS.has(m)),
      shed: config.shedUnderPressure === true,
      hasParams: schema.params !== undefined || schema.querystring !== undefined,
      pathParams: route.url.includes(':')
    }
  }

  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'policy-rag',
        summary: 'Answers questions about company policies, with cited sources',
        description: 'Answers employees\' questions about company policies from an index of the policy documents, with cited sources. ' +
          'When the service is configured with API keys, send `Authorization: Bearer <key>` (the operations that need it say so).',
        version,
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        contact: { name: 'policy-rag maintainers' }
      },
      servers: [{ url: '/', description: 'This service' }],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'One of the keys in API_KEYS' } }
      },
      tags: [
        { name: 'answers', description: 'Chat and search' },
        { name: 'corpus', description: 'The policy documents' },
        { name: 'operations', description: 'Health, memory, metrics and usage' }
      ]
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}` },
    transform: ({ schema, url, route }) => {
      if (schema === undefined || schema.hide === true) return { schema, url }
      return { schema: documentOperation(schema as Record<string, unknown>, traitsOf(route)) as FastifySchema, url }
    },
    transformObject: (documentObject) => liftRequiredHeaders(pruneUnusedComponents(
      'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject
    ))
  })
  await fastify.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })

  fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger())
}, { name: 'openapi', dependencies: ['config'] })
