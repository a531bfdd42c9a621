import { Type, type Static } from 'typebox'
import { defaultsOptional, DocumentVersionFields, QueryText, ref } from './shared.js'

export const TurnSchema = Type.Object({
  role: Type.Enum(['user', 'assistant']),
  content: Type.String({ minLength: 1, maxLength: 4000 })
}, { $id: 'ChatTurn', additionalProperties: false, description: 'One earlier message of the conversation' })
/** One earlier message of a conversation: the route's history, the prompt's and the guardrails'. */
export type Turn = Static<typeof TurnSchema>
/**
 * A turn whose role is not trusted: the guardrails and the prompt check it again (a planted `system`
 * turn is a finding, never replayed), so any string is accepted there.
 */
export type UntrustedTurn = Omit<Turn, 'role'> & { role: string }

/**
 * Inline in the route, not a named component: openapi-typescript marks a component's fields that
 * have a `default` as required, so `{ question }` alone would not type-check in generated clients.
 */
export const ChatRequestSchema = defaultsOptional(Type.Object({
  question: QueryText(2000, 'The employee\'s question.'),
  history: Type.Array(ref(TurnSchema), {
    maxItems: 10,
    default: [],
    description: 'Earlier turns of the conversation, oldest first (at most 10).'
  }),
  top_k: Type.Integer({ minimum: 1, maximum: 10, default: 5, description: 'Passages to retrieve as sources.' }),
  stream: Type.Boolean({ default: false, description: 'Answer as Server-Sent Events (also chosen by Accept: text/event-stream).' })
}, {
  additionalProperties: false,
  examples: [
    { question: 'Can I carry unused PTO into next year?' },
    {
      question: 'And what happens to the days above that?',
      history: [
        { role: 'user', content: 'Can I carry unused PTO into next year?' },
        {
          role: 'assistant',
          content: 'Up to 5 unused days carry over to the next year and expire on 31 March if they have not been used by then [1].'
        }
      ],
      top_k: 5
    }
  ]
}))

const PiiKinds = Type.Array(Type.String(), { description: 'Kinds of personal data removed (email, phone, ...)' })

export const CitationSchema = Type.Object({
  id: Type.Integer({ minimum: 1, description: 'The n of [n] in the answer' }),
  chunk_id: Type.String(),
  document_id: Type.String(),
  document_title: Type.String(),
  heading: Type.String(),
  snippet: Type.String(),
  ...DocumentVersionFields
}, { $id: 'Citation', description: 'A passage the answer cites as [n]' })

export const GuardrailReportSchema = Type.Object({
  input: Type.Object({ pii_redacted: PiiKinds, injection: Type.Boolean(), off_topic: Type.Boolean() }),
  output: Type.Object({ citations_valid: Type.Boolean(), pii_redacted: PiiKinds })
}, { $id: 'GuardrailReport', description: 'What the input and output guardrails found' })

export const ChatResponseSchema = Type.Object({
  answer: Type.String({ description: 'The answer; every [n] refers to citations[n-1]' }),
  mode: Type.Enum(
    ['llm', 'extractive', 'refused'],
    { description: 'llm: written by the LLM; extractive: sentences quoted from the passages; refused: not answered (reason says why)' }
  ),
  citations: Type.Array(ref(CitationSchema)),
  guardrails: ref(GuardrailReportSchema),
  model: Type.String(),
  usage: Type.Object({ prompt_tokens: Type.Integer(), completion_tokens: Type.Integer() }),
  timings_ms: Type.Object({ retrieval: Type.Number(), llm: Type.Number(), total: Type.Number() }),
  reason: Type.Optional(Type.String({ description: 'Why the answer is extractive although an LLM is configured (e.g. llm_timeout), or ' +
    'why it was refused (off_topic, injection, pii, other_person_data, language, no_relevant)' }))
}, {
  $id: 'ChatResponse',
  description: 'An answer with its sources',
  examples: [{
    answer: 'Up to 5 unused days carry over to the next year and expire on 31 March if they have not been used by then [1].',
    mode: 'extractive',
    citations: [{
      id: 1,
      chunk_id: 'pto-policy#3',
      document_id: 'pto-policy',
      document_title: 'Paid Time Off',
      heading: 'Paid Time Off > Carry-Over and Payout',
      snippet: 'Employees are expected to take their full entitlement each year. Up to 5 unused days carry over to the next year and ' +
        'expire on 31 March if they have not been used by then.',
      version: '3.2',
      effective_date: '2026-01-01',
      source_url: null
    }],
    guardrails: { input: { pii_redacted: [], injection: false, off_topic: false }, output: { citations_valid: true, pii_redacted: [] } },
    model: 'extractive (universal-sentence-encoder-lite@0.2.0)',
    usage: { prompt_tokens: 0, completion_tokens: 0 },
    timings_ms: { retrieval: 2.1, llm: 0, total: 4.3 }
  }]
})

export const ChatTokenEventSchema = Type.Object({
  event: Type.Literal('token'),
  data: Type.Object({ text: Type.String() }, { description: 'The next piece of the answer' })
}, { $id: 'ChatTokenEvent', description: '`event: token`: a piece of the answer as it is written' })

export const ChatDoneEventSchema = Type.Object({
  event: Type.Literal('done'),
  data: ref(ChatResponseSchema, { description: 'The whole response; its answer replaces the streamed text' })
}, { $id: 'ChatDoneEvent', description: '`event: done`: the last event of a successful answer' })

export const ChatErrorEventSchema = Type.Object({
  event: Type.Literal('error'),
  data: Type.Object({ message: Type.String() })
}, { $id: 'ChatErrorEvent', description: '`event: error`: the answer failed midway; the stream ends' })

export const ChatEventSchema = Type.Union([ref(ChatTokenEventSchema), ref(ChatDoneEventSchema), ref(ChatErrorEventSchema)], {
  $id: 'ChatEvent',
  description: 'One Server-Sent Event of a streamed answer, shown as {event, data}: on the wire `event: <event>` then ' +
    '`data: <data as JSON>`. A stream is token events, then one done or one error event.'
})
