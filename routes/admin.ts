import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { parseApiKeys } from '../lib/api-keys.js'
import { ReloadResultSchema } from '../schemas/operations.js'
import { ref } from '../schemas/shared.js'

/**
 * POST /admin/reload: reopens VECTOR_STORE_PATH (fastify.vectorStore.reload), like SIGHUP does.
 * It exists only when API_KEYS is set: an open service has no admin surface at all (404).
 */
const admin: FastifyPluginAsyncTypebox = async (fastify) => {
  if (parseApiKeys(fastify.config.API_KEYS).length === 0) return

  fastify.post('/admin/reload', {
    config: { auth: 'key' },
    schema: {
      tags: ['operations'],
      operationId: 'reloadIndex',
      summary: 'Reopen the index file',
      description: 'Reopens VECTOR_STORE_PATH after a new index file was renamed over it, as SIGHUP does. The new file is validated first: a broken one is rejected with 409 and the index already open keeps serving. Exists only when API_KEYS is set.',
      response: {
        200: ref(ReloadResultSchema, { description: 'The new file was opened and now serves' }),
        409: ref(ReloadResultSchema, { description: 'The new file was rejected; the index already open keeps serving' })
      }
    }
  }, async (request, reply) => {
    const result = fastify.vectorStore.reload()
    if (result.ok) request.log.info({ ...result, path: fastify.vectorStore.path }, 'vector store reloaded')
    return reply.code(result.ok ? 200 : 409).send(result)
  })
}

export default admin
