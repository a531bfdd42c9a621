import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { SearchRequestSchema, SearchResponseSchema } from '../schemas/search.js'
import { errorResponse, ref } from '../schemas/shared.js'

const search: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/search', {
    config: { shedUnderPressure: true, auth: 'key' },
    schema: {
      tags: ['answers'],
      operationId: 'searchPolicies',
      summary: 'Search the policies',
      description: 'Ranked policy passages for a query: hybrid (vector and keyword rankings fused by reciprocal rank), vector or ' +
        'keyword, optionally within one category or document. Any text is a valid query: FTS5 operators in it are searched for as words.',
      body: SearchRequestSchema,
      response: {
        200: ref(SearchResponseSchema, { description: 'The passages found, best first' }),
        400: errorResponse('The query is missing or empty, a field is out of range, or the category is not one the index has (the ' +
          'message lists them)'),
        500: errorResponse('An unexpected failure (logged); the message says nothing more'),
        503: errorResponse('Overloaded, the index is unavailable, or vector search is refused (model mismatch): retry, or use mode keyword')
      }
    }
  }, async (request) => {
    const { query, top_k: topK, mode, category, document_id: documentId } = request.body
    const filters = { ...(category ? { category } : {}), ...(documentId ? { document_id: documentId } : {}) }
    const result = await fastify.retriever.retrieve({ query, topK, mode, filters })
    return {
      query,
      mode: result.mode,
      results: result.results.map(({ similarity: _s, ...r }) => r),
      timings_ms: result.timingsMs
    }
  })
}

export default search
