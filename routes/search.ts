import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
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
