import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { DocumentNotFoundError, IndexUnavailableError } from '../lib/errors.js'
import { ErrorSchema } from '../lib/schemas.js'
import type { VectorStore } from '../lib/vector-store.js'

const DocumentSummarySchema = Type.Object({
  id: Type.String({ description: 'Document id, e.g. pto-policy' }),
  title: Type.String(),
  category: Type.String({ description: 'hr, workplace, finance, conduct, it-security, privacy or safety' }),
  effective_date: Type.String({ format: 'date' }),
  version: Type.String(),
  chunk_count: Type.Integer({ minimum: 0, description: 'Chunks of this document in the index' })
}, { additionalProperties: false })

const DocumentListSchema = Type.Object({
  documents: Type.Array(DocumentSummarySchema)
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
  }, async () => ({ documents: store().listDocuments() }))

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
    return document
  })
}

export default documents
