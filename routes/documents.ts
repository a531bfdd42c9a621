import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { DocumentNotFoundError, IndexUnavailableError } from '../lib/errors.js'
import { isPastReview } from '../lib/policy-review.js'
import { ErrorSchema } from '../lib/schemas.js'
import type { DocumentSummary, VectorStore } from '../lib/vector-store.js'

const DocumentSummarySchema = Type.Object({
  id: Type.String({ description: 'Document id, e.g. pto-policy' }),
  title: Type.String(),
  category: Type.String({ description: 'Free text, or one of the list the index was built with (see categories)' }),
  effective_date: Type.Union([Type.String({ format: 'date' }), Type.Null()], { description: 'null when the policy states none' }),
  version: Type.Union([Type.String(), Type.Null()], { description: 'null when the policy states none' }),
  chunk_count: Type.Integer({ minimum: 0, description: 'Chunks of this document in the index' }),
  review_date: Type.Optional(Type.String({ format: 'date', description: 'When the policy is due for review, where it says' })),
  review_overdue: Type.Boolean({ description: 'True once review_date has passed: the policy may be stale' }),
  owner: Type.Optional(Type.String()),
  source_url: Type.Optional(Type.String({ description: 'Where the original policy is published, where known' }))
}, { additionalProperties: false })

const DocumentListSchema = Type.Object({
  documents: Type.Array(DocumentSummarySchema),
  categories: Type.Array(Type.String(), { description: 'The categories the index holds, sorted' })
}, { additionalProperties: false })

const DocumentDetailSchema = Type.Object({
  ...DocumentSummarySchema.properties,
  markdown: Type.String({ description: 'The policy text as Markdown, without its front matter' })
}, { additionalProperties: false })

const DocumentParamsSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200 })
})

/** The corpus the answers come from: GET /documents and GET /documents/:id. */
const documents: FastifyPluginAsyncTypebox = async (fastify) => {
  // The reason names server paths: it goes to the log and /health's status, not to clients.
  const store = (): VectorStore => {
    const current = fastify.vectorStore.store
    if (current === undefined) throw new IndexUnavailableError('it could not be opened (see the service log)')
    return current
  }

  fastify.get('/documents', {
    config: { auth: 'key' },
    schema: {
      tags: ['corpus'],
      summary: 'List the policy documents in the index',
      response: { 200: DocumentListSchema, 503: ErrorSchema }
    }
  }, async () => {
    const documents = store().listDocuments()
    const now = new Date()
    return { documents: documents.map((d) => present(d, now)), categories: store().categories() }
  })

  fastify.get('/documents/:id', {
    config: { auth: 'key' },
    schema: {
      tags: ['corpus'],
      summary: 'One policy document with its Markdown',
      params: DocumentParamsSchema,
      response: { 200: DocumentDetailSchema, 404: ErrorSchema, 503: ErrorSchema }
    }
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
