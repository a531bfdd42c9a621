import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { parseApiKeys } from '../lib/api-keys.js'
import { ErrorSchema } from '../lib/schemas.js'

const ReloadResponseSchema = Type.Object({
  ok: Type.Boolean({ description: 'true when the file was opened and now serves' }),
  status: Type.Enum(['operational', 'model_mismatch', 'unavailable'], {
    description: 'Status of the file just opened; when ok is false it was rejected and the index already open keeps serving'
  }),
  code: Type.Optional(Type.String({ description: 'Why, as a code: INDEX_NOT_FOUND, INDEX_CORRUPT, INDEX_SCHEMA, INDEX_MODEL_MISMATCH or INDEX_UNAVAILABLE' })),
  reason: Type.Optional(Type.String({ description: 'Why the status is not operational, or why the file was rejected, in a short sentence (the detail is in the service log)' }))
}, { additionalProperties: false })

// What a caller is told; paths and SQLite's own output stay in the log.
const SHORT_REASONS: Record<string, string> = {
  INDEX_NOT_FOUND: 'the index file was not found',
  INDEX_CORRUPT: 'the file is not a readable SQLite index',
  INDEX_SCHEMA: 'the file has the wrong index schema; rebuild it with npm run index:build',
  INDEX_MODEL_MISMATCH: 'the index was embedded by a different model than the one loaded; vector search is refused until it is rebuilt',
  INDEX_UNAVAILABLE: 'the index could not be opened'
}

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
    request.log[result.ok ? 'info' : 'warn']({ ...result, path: fastify.vectorStore.path }, result.ok ? 'vector store reloaded' : 'vector store reload rejected')
    if (result.reason === undefined) return reply.code(result.ok ? 200 : 409).send({ ok: result.ok, status: result.status })
    const code = result.code !== undefined && result.code in SHORT_REASONS ? result.code : 'INDEX_UNAVAILABLE'
    const reason = result.status === 'operational' ? 'the file opened, but the embedding model could not be checked against it' : SHORT_REASONS[code]
    return reply.code(result.ok ? 200 : 409).send({ ok: result.ok, status: result.status, ...(result.status === 'operational' ? {} : { code }), reason })
  })
}

export default admin
