import { Type } from 'typebox'
import { ref } from './shared.js'

const documentFields = {
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
}

const ptoPolicy = {
  id: 'pto-policy',
  title: 'Paid Time Off',
  category: 'hr',
  effective_date: '2026-01-01',
  version: '3.2',
  chunk_count: 5,
  owner: 'People Team',
  review_overdue: false
}

export const DocumentSummarySchema = Type.Object(documentFields, {
  $id: 'Document',
  additionalProperties: false,
  description: 'A policy document in the index',
  examples: [ptoPolicy]
})

export const DocumentListSchema = Type.Object({
  documents: Type.Array(ref(DocumentSummarySchema)),
  categories: Type.Array(
    Type.String(),
    { description: 'The categories the index holds, sorted: the values search\'s category filter accepts' }
  )
}, {
  $id: 'DocumentList',
  additionalProperties: false,
  description: 'Every policy document in the index, and their categories',
  examples: [{ documents: [ptoPolicy], categories: ['hr'] }]
})

export const DocumentDetailSchema = Type.Object({
  ...documentFields,
  markdown: Type.String({ description: 'The policy text as Markdown, without its front matter' })
}, {
  $id: 'DocumentDetail',
  additionalProperties: false,
  description: 'A policy document with its text',
  examples: [{
    ...ptoPolicy,
    markdown: '# Paid Time Off\n\n## Purpose and Scope\nThis policy explains how employees earn, request and use paid time off (PTO).'
  }]
})

export const DocumentParamsSchema = Type.Object({
  id: Type.String({
    minLength: 1,
    maxLength: 100,
    description: 'A document id from GET /documents (the router accepts at most 100 characters)',
    examples: ['pto-policy']
  })
})
