import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { parseApiKeys } from '../lib/ops/api-keys.js'
import { ReloadResultSchema } from '../schemas/admin.js'
import { operation } from '../schemas/operations.js'
import { responses } from '../schemas/shared.js'

// What a caller is told; paths and SQLite's own output stay in the log.
const SHORT_REASONS: Record<string, string> = {
  INDEX_NOT_FOUND: 'the index file was not found',
  INDEX_CORRUPT: 'the file is not a readable SQLite index',
  INDEX_SCHEMA: 'the file has the wrong index schema; rebuild it with npm run index:build',
  INDEX_MODEL_MISMATCH: 'the index was embedded by a different model than the one loaded; vector search is refused until it is rebuilt',
  INDEX_UNAVAILABLE: 'the index could not be opened'
}

/**
 * POST /admin/reload: reopens VECTOR_STORE_PATH (fastify.policyIndex.reload), like SIGHUP does.
 * It exists only when API_KEYS is set: an open service has no admin surface at all (404).
 */
const admin: FastifyPluginAsyncTypebox = async (fastify) => {
  if (parseApiKeys(fastify.config.API_KEYS).length === 0) return

  fastify.post('/admin/reload', {
    config: { auth: 'key' },
    schema: operation('reloadIndex', {
      response: responses(ReloadResultSchema, {
        200: 'The new file was opened and now serves',
        409: 'The new file was rejected; the index already open keeps serving'
      })
    })
  }, async (request, reply) => {
    const result = fastify.policyIndex.reload()
    request.log[result.ok ? 'info' : 'warn'](
      { ...result, path: fastify.policyIndex.path },
      result.ok ? 'vector store reloaded' : 'vector store reload rejected'
    )
    if (result.reason === undefined) return reply.code(result.ok ? 200 : 409).send({ ok: result.ok, status: result.status })
    const code = result.code !== undefined && result.code in SHORT_REASONS ? result.code : 'INDEX_UNAVAILABLE'
    const reason = result.status === 'operational'
      ? 'the file opened, but the embedding model could not be checked against it'
      : SHORT_REASONS[code]
    return reply.code(result.ok ? 200 : 409).send({
      ok: result.ok,
      status: result.status,
      ...(result.status === 'operational' ? {} : { code }),
      reason
    })
  })
}

export default admin
