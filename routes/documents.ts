import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { DocumentNotFoundError, IndexUnavailableError } from '../lib/errors.js'
import { isPastReview } from '../lib/corpus/policy-review.js'
import type { DocumentSummary, VectorStore } from '../lib/search/vector-store.js'
import { DocumentDetailSchema, DocumentListSchema, DocumentParamsSchema } from '../schemas/documents.js'
import { operation } from '../schemas/operations.js'
import { errorResponse, ref } from '../schemas/shared.js'

const INDEX_UNAVAILABLE = 'The policy index is unavailable (see /health)'

/** The corpus the answers come from: GET /documents and GET /documents/:id. */
const documents: FastifyPluginAsyncTypebox = async (fastify) => {
  // The reason names server paths: it goes to the log and /health's status, not to clients.
  const store = (): VectorStore => {
    const current = fastify.policyIndex.current
    if (current === undefined) throw new IndexUnavailableError('it could not be opened (see the service log)')
    return current
  }

  fastify.get('/documents', {
    config: { auth: 'key' },
    schema: operation('listDocuments', {
      response: { 200: ref(DocumentListSchema, { description: 'The documents, by id' }), 503: errorResponse(INDEX_UNAVAILABLE) }
    })
  }, async () => {
    const current = store()
    const now = new Date()
    return { documents: current.listDocuments().map((d) => present(d, now)), categories: current.categories() }
  })

  fastify.get('/documents/:id', {
    config: { auth: 'key' },
    schema: operation('getDocument', {
      params: DocumentParamsSchema,
      response: {
        200: ref(DocumentDetailSchema, { description: 'The document and its text' }),
        404: errorResponse('No document has this id'),
        503: errorResponse(INDEX_UNAVAILABLE)
      }
    })
  }, async (request) => {
    const document = store().getDocument(request.params.id)
    if (document === undefined) throw new DocumentNotFoundError(request.params.id)
    return present(document, new Date())
  })
}

/** Optional fields appear only where the policy has them; the review flag always. */
function present<T extends DocumentSummary> ({ owner, review_date: reviewDate, source_url: sourceUrl, ...rest }: T, now: Date) {
  return {
    ...rest,
    ...(owner === null ? {} : { owner }),
    ...(reviewDate === null ? {} : { review_date: reviewDate }),
    ...(sourceUrl === null ? {} : { source_url: sourceUrl }),
    review_overdue: isPastReview(reviewDate, now)
  }
}

export default documents
