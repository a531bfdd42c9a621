import { Type } from 'typebox'

/** Which edition of a policy a passage comes from; null where the policy does not say. */
export const DocumentVersionFields = {
  version: Type.Union([Type.String(), Type.Null()], { description: 'The policy\'s version, e.g. 3.2' }),
  effective_date: Type.Union([Type.String({ format: 'date' }), Type.Null()], { description: 'The date the policy took effect' }),
  source_url: Type.Union([Type.String(), Type.Null()], { description: 'Where the original policy is published' })
}

/** Any text with at least one non-space character. */
export const QueryText = (maxLength: number, description: string) =>
  Type.String({ minLength: 1, maxLength, pattern: '\\S', description })

export const SearchRequestSchema = Type.Object({
  query: QueryText(1000, 'What to look for; any text (FTS5 operators in it are searched as words).'),
  top_k: Type.Integer({ minimum: 1, maximum: 20, default: 5 }),
  mode: Type.Enum(['hybrid', 'vector', 'keyword'], { default: 'hybrid' }),
  category: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  document_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 }))
}, { additionalProperties: false })

export const SearchResultSchema = Type.Object({
  rank: Type.Integer({ minimum: 1 }),
  chunk_id: Type.String(),
  document_id: Type.String(),
  document_title: Type.String(),
  category: Type.String(),
  heading: Type.String(),
  text: Type.String(),
  score: Type.Number(),
  vector_rank: Type.Union([Type.Integer(), Type.Null()]),
  keyword_rank: Type.Union([Type.Integer(), Type.Null()]),
  ...DocumentVersionFields
})

export const SearchResponseSchema = Type.Object({
  query: Type.String(),
  mode: Type.Enum(['hybrid', 'vector', 'keyword']),
  results: Type.Array(SearchResultSchema),
  timings_ms: Type.Object({ embed: Type.Number(), vector: Type.Number(), keyword: Type.Number(), total: Type.Number() })
})
