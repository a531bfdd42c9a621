import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { InvalidInputError } from '../lib/errors.js'
import { errorResponses } from '../lib/schemas.js'
import { SearchRequestSchema, SearchResponseSchema } from '../lib/search-schemas.js'

const search: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/search', {
    config: { shedUnderPressure: true, auth: 'key' },
    schema: {
      tags: ['answers'],
      summary: 'Search the policies: hybrid (vector + keyword, fused), vector or keyword',
      body: SearchRequestSchema,
      response: { 200: SearchResponseSchema, ...errorResponses }
    }
  }, async (request) => {
    const { query, top_k: topK, mode, category, document_id: documentId } = request.body
    // Categories are whatever the index was built with, so the schema cannot list them.
    const known = category === undefined ? [] : fastify.retriever.store()?.categories() ?? []
    if (category !== undefined && known.length > 0 && !known.includes(category)) {
      throw new InvalidInputError(`unknown category ${JSON.stringify(category)}; the index holds: ${known.join(', ')}`)
    }
    const filters = { ...(category ? { category } : {}), ...(documentId ? { document_id: documentId } : {}) }
    const result = await fastify.retriever.retrieve({ query, topK, mode, filters })
    return {
      query,
      mode: result.mode,
      results: result.results.map(({ similarity: _s, ...r }) => r),
      timings_ms: result.timings_ms
    }
  })
}

export default search
