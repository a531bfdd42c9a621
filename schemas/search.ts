import { Type } from 'typebox'
import { defaultsOptional, DocumentVersionFields, QueryText, ref } from './shared.js'

/** Inline in the route for the same reason as ChatRequestSchema (fields with defaults). */
export const SearchRequestSchema = defaultsOptional(Type.Object({
  query: QueryText(1000, 'What to look for; any text (FTS5 operators in it are searched as words).'),
  top_k: Type.Integer({ minimum: 1, maximum: 20, default: 5, description: 'How many passages to return.' }),
  mode: Type.Enum(['hybrid', 'vector', 'keyword'], { default: 'hybrid', description: 'hybrid fuses vector and keyword rankings.' }),
  category: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'Only passages of this category: one of the categories GET /documents lists (an unknown one is a 400 that names them).'
  })),
  document_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Only passages of this document.' }))
}, {
  additionalProperties: false,
  examples: [
    { query: 'how many vacation days do I get' },
    { query: 'carry over unused PTO', top_k: 3, mode: 'keyword', category: 'hr', document_id: 'pto-policy' }
  ]
}))

export const SearchHitSchema = Type.Object({
  rank: Type.Integer({ minimum: 1 }),
  chunk_id: Type.String(),
  document_id: Type.String(),
  document_title: Type.String(),
  category: Type.String(),
  heading: Type.String(),
  text: Type.String(),
  score: Type.Number(),
  vector_rank: Type.Union(
    [Type.Integer(), Type.Null()],
    { description: 'Rank in the vector search, null when it did not find this passage' }
  ),
  keyword_rank: Type.Union(
    [Type.Integer(), Type.Null()],
    { description: 'Rank in the keyword search, null when it did not find this passage' }
  ),
  ...DocumentVersionFields
}, { $id: 'SearchHit', description: 'One retrieved passage' })

export const SearchResponseSchema = Type.Object({
  query: Type.String(),
  mode: Type.Enum(['hybrid', 'vector', 'keyword'], { description: 'The mode that ran: keyword when vectors cannot be used' }),
  results: Type.Array(ref(SearchHitSchema)),
  timings_ms: Type.Object({ embed: Type.Number(), vector: Type.Number(), keyword: Type.Number(), total: Type.Number() })
}, {
  $id: 'SearchResponse',
  description: 'Ranked passages with per-stage timings',
  examples: [{
    query: 'how many vacation days do I get',
    mode: 'hybrid',
    results: [{
      rank: 1,
      chunk_id: 'pto-policy#1',
      document_id: 'pto-policy',
      document_title: 'Paid Time Off',
      category: 'hr',
      heading: 'Paid Time Off > Accrual',
      text: '## Accrual\nFull-time employees accrue 1.75 days of PTO per month (21 days a year).',
      score: 0.0325,
      vector_rank: 1,
      keyword_rank: 1,
      version: '3.2',
      effective_date: '2026-01-01',
      source_url: null
    }],
    timings_ms: { embed: 1.2, vector: 0.2, keyword: 0.1, total: 1.9 }
  }]
})
