import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, RouteOptions } from 'fastify'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import { parseApiKeys } from '../../lib/ops/api-keys.js'
import { version } from '../../lib/ops/version.js'
import { documentOperation, liftRequiredHeaders, pruneUnusedComponents, type OperationTraits } from '../../schemas/openapi-contract.js'

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH'])
const HIDDEN = { schema: { hide: true } }
/** Headers of the docs instance's responses that belong to its connection, not to the content. */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date'])

/**
 * OpenAPI 3.1 from the route schemas (@fastify/swagger), served at /openapi.json, with its
 * browsable page at /docs (@fastify/swagger-ui, assets served locally). Named schemas come from
 * plugins/app/schemas.ts; security and the 400/401/413/415/429/503 every route can get from the
 * service's machinery are derived from each route's config and the settings (schemas/openapi-contract).
 *
 * Neither library is loaded at start-up (with their dependencies they were about a tenth of it):
 * this plugin records the routes and shared schemas as @fastify/swagger would, and the first
 * request for the document or the page builds both on a Fastify instance of their own that is
 * given those routes (to describe, never to run); later requests reuse it.
 */
export default fp(async function openapi (fastify) {
  const routes: RouteOptions[] = []
  const contexts: FastifyInstance[] = []
  const schemas = new Map<string, unknown>()
  // As @fastify/swagger collects them: every route but HEAD and hidden ones, and the shared schemas of every context.
  fastify.addHook('onRoute', (route) => {
    if (route.method !== 'HEAD' && route.schema?.hide !== true) routes.push(route)
  })
  fastify.addHook('onRegister', (instance) => { contexts.push(instance) })
  fastify.addHook('onReady', async () => {
    for (const context of [...contexts, fastify]) {
      for (const [id, schema] of Object.entries(context.getSchemas())) schemas.set(id, schema)
    }
    contexts.length = 0
  })

  let docs: Promise<FastifyInstance> | undefined
  const docsInstance = async (): Promise<FastifyInstance> => {
    docs ??= buildDocs(fastify, routes, schemas)
    return await docs
  }
  const forward = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    // Asked as GET: Fastify answers a HEAD from the full response, with its length.
    const res = await (await docsInstance()).inject({ method: 'GET', url: request.url, headers: request.headers })
    for (const [name, value] of Object.entries(res.headers)) {
      if (!CONNECTION_HEADERS.has(name) && value !== undefined) reply.header(name, value)
    }
    // A file swagger-ui does not have is the service's own 404.
    if (res.statusCode === 404) return reply.removeHeader('content-type').removeHeader('content-length').callNotFound()
    return reply.code(res.statusCode).send(res.rawPayload.length > 0 ? res.rawPayload : undefined)
  }

  fastify.addHook('onClose', async () => { if (docs !== undefined) await (await docs).close() })
  fastify.get('/openapi.json', HIDDEN, async () => (await docsInstance()).swagger())
  fastify.get('/docs', HIDDEN, forward)
  fastify.get('/docs/*', HIDDEN, forward)
}, { name: 'openapi', dependencies: ['config'] })

async function buildDocs (
  fastify: FastifyInstance, routes: readonly RouteOptions[], schemas: ReadonlyMap<string, unknown>
): Promise<FastifyInstance> {
  const [{ default: swagger }, { default: swaggerUi }] = await Promise.all([import('@fastify/swagger'), import('@fastify/swagger-ui')])
  const docs = Fastify({ logger: false })
  // The routes given here only describe the service's: nothing is validated or serialized with them.
  docs.setValidatorCompiler(() => () => true)
  docs.setSerializerCompiler(() => (data) => JSON.stringify(data))
  for (const schema of schemas.values()) docs.addSchema(schema)
  await docs.register(swagger, swaggerOptions(fastify))
  await docs.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
  for (const route of routes) {
    docs.route({
      method: route.method, url: route.url, schema: route.schema, config: route.config, exposeHeadRoute: false, handler: async () => null
    })
  }
  await docs.ready()
  return docs
}

function swaggerOptions (fastify: FastifyInstance): import('@fastify/swagger').FastifyDynamicSwaggerOptions {
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
  return {
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
  }
}
