import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { SearchRequestSchema, SearchResponseSchema } from '../schemas/search.js'
import { ANSWER_ROUTE_CONFIG, operation } from '../schemas/operations.js'
import { errorResponse, ref, UnexpectedFailure } from '../schemas/shared.js'

const search: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/search', {
    config: ANSWER_ROUTE_CONFIG,
    schema: operation('searchPolicies', {
      body: SearchRequestSchema,
      response: {
        200: ref(SearchResponseSchema, { description: 'The passages found, best first' }),
        400: errorResponse('The query is missing or empty, a field is out of range, or the category is not one the index has (the ' +
          'message lists them)'),
        500: UnexpectedFailure,
        503: errorResponse('Overloaded, the index is unavailable, or vector search is refused (model mismatch): retry, or use mode keyword')
      }
    })
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
