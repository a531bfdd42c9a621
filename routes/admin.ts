import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { parseApiKeys } from '../lib/api-keys.js'
import { ErrorSchema } from '../lib/schemas.js'

const ReloadResponseSchema = Type.Object({
  ok: Type.Boolean({ description: 'true when the file was opened and now serves' }),
  status: Type.Enum(['operational', 'model_mismatch', 'unavailable'], {
    description: 'Status of the file just opened; when ok is false it was rejected and the index already open keeps serving'
  }),
  reason: Type.Optional(Type.String({ description: 'Why the status is not operational, or why the file was rejected' }))
}, { additionalProperties: false })

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
      summary: 'Reopen the index file after it was replaced (rename a new file over it); a broken file is rejected with 409',
      security: [{ bearerAuth: [] }],
      response: { 200: ReloadResponseSchema, 401: ErrorSchema, 409: ReloadResponseSchema, 429: ErrorSchema }
    }
  }, async (request, reply) => {
    const result = fastify.vectorStore.reload()
    if (result.ok) request.log.info({ ...result, path: fastify.vectorStore.path }, 'vector store reloaded')
    return reply.code(result.ok ? 200 : 409).send(result)
  })
}

export default admin
