import { Type } from 'typebox'
import { DocumentVersionFields, QueryText } from './search-schemas.js'

export const TurnSchema = Type.Object({
  role: Type.Enum(['user', 'assistant']),
  content: Type.String({ minLength: 1, maxLength: 4000 })
}, { additionalProperties: false })

export const ChatRequestSchema = Type.Object({
  question: QueryText(2000, 'The employee\'s question.'),
  history: Type.Array(TurnSchema, { maxItems: 10, default: [], description: 'Earlier turns of the conversation, oldest first (at most 10).' }),
  top_k: Type.Integer({ minimum: 1, maximum: 10, default: 5, description: 'Passages to retrieve as sources.' }),
  stream: Type.Boolean({ default: false, description: 'Answer as Server-Sent Events (also chosen by Accept: text/event-stream).' })
}, { additionalProperties: false })

const PiiKinds = Type.Array(Type.String())

export const CitationSchema = Type.Object({
  id: Type.Integer({ minimum: 1, description: 'The n of [n] in the answer' }),
  chunk_id: Type.String(),
  document_id: Type.String(),
  document_title: Type.String(),
  heading: Type.String(),
  snippet: Type.String(),
  ...DocumentVersionFields
})

export const ChatResponseSchema = Type.Object({
  answer: Type.String(),
  mode: Type.Enum(['llm', 'extractive', 'refused']),
  citations: Type.Array(CitationSchema),
  guardrails: Type.Object({
    input: Type.Object({ pii_redacted: PiiKinds, injection: Type.Boolean(), off_topic: Type.Boolean() }),
    output: Type.Object({ citations_valid: Type.Boolean(), pii_redacted: PiiKinds })
  }),
  model: Type.String(),
  usage: Type.Object({ prompt_tokens: Type.Integer(), completion_tokens: Type.Integer() }),
  timings_ms: Type.Object({ retrieval: Type.Number(), llm: Type.Number(), total: Type.Number() }),
  reason: Type.Optional(Type.String({ description: 'Why the answer is extractive although an LLM is configured (e.g. llm_timeout), or why it was refused (off_topic, injection, pii, other_person_data, language, no_relevant)' }))
})
