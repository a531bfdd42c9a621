/**
 * OpenAI's chat-completions protocol, the part this service speaks (routes/openai.ts).
 * Requests accept fields OpenAI's clients send that are not listed here (they are ignored, as
 * OpenAI-compatible servers do); a listed field with the wrong type is a 400. Each schema has an
 * `$id` and is referenced by it (`named`), so /openapi.json shows it as a named component; the
 * route adds OPENAI_SCHEMAS to its instance.
 */
import { Type, type Static, type TSchema, type TUnsafe } from 'typebox'
import { CitationSchema } from './chat.js'

/** A `$ref` to a schema with an `$id`, typed as that schema. */
export function named<T extends TSchema> (schema: T): TUnsafe<Static<T>> {
  const id = (schema as { $id?: unknown }).$id
  if (typeof id !== 'string') throw new TypeError('named() needs a schema with an $id')
  return Type.Unsafe<Static<T>>(Type.Ref(id))
}

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

const TextPartSchema = Type.Object({
  type: Type.String({ description: 'Only "text" parts are answered; other kinds are a 400' }),
  text: Type.Optional(Type.String())
})

export const ChatCompletionMessageSchema = Type.Object({
  role: Type.Enum(['system', 'developer', 'user', 'assistant', 'tool', 'function'], {
    description: 'system, developer, tool and function messages are not obeyed: they are ignored'
  }),
  content: Type.Optional(Nullable(Type.Union([Type.String(), Type.Array(TextPartSchema, { maxItems: 100 })]))),
  name: Type.Optional(Type.String())
}, { $id: 'ChatCompletionMessage' })

export const ChatCompletionRequestSchema = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 200, description: 'Must be "policy-rag" (see GET /v1/models)' }),
  messages: Type.Array(named(ChatCompletionMessageSchema), {
    minItems: 1,
    maxItems: 500,
    description: 'The last message is the user\'s question; earlier user and assistant messages are the history (the last 10 are kept).'
  }),
  stream: Type.Optional(Nullable(Type.Boolean({ description: 'Answer as chat.completion.chunk Server-Sent Events ending with data: ' +
    '[DONE] (false when absent)' }))),
  stream_options: Type.Optional(Nullable(Type.Object({ include_usage: Type.Optional(Type.Boolean()) }))),
  max_tokens: Type.Optional(Nullable(Type.Integer({
    minimum: 1,
    description: 'Accepted; answers are capped by the service\'s MAX_TOKENS'
  }))),
  max_completion_tokens: Type.Optional(Nullable(Type.Integer({ minimum: 1, description: 'As max_tokens' }))),
  temperature: Type.Optional(Nullable(Type.Number({
    minimum: 0,
    maximum: 2,
    description: 'Accepted; the service\'s LLM_TEMPERATURE applies'
  }))),
  n: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1, description: 'One choice only' }))),
  user: Type.Optional(Type.String({ maxLength: 256, description: 'Accepted and not stored' }))
}, { $id: 'ChatCompletionRequest' })

export const ChatCompletionUsageSchema = Type.Object({
  prompt_tokens: Type.Integer(),
  completion_tokens: Type.Integer(),
  total_tokens: Type.Integer()
}, { $id: 'ChatCompletionUsage', description: 'Tokens the LLM reported; 0 for extractive answers and refusals' })

const AnswerFields = {
  citations: Type.Array(named(CitationSchema), { description: 'Extra field: the sources the [n] markers in the content refer to' }),
  mode: Type.Enum(['llm', 'extractive', 'refused'], { description: 'Extra field: who wrote the answer, as /chat\'s mode' }),
  reason: Type.Optional(Type.String({ description: 'Extra field: why the answer is extractive although an LLM is configured, or why it ' +
    'was refused, as /chat\'s reason' }))
}

export const ChatCompletionSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('chat.completion'),
  created: Type.Integer({ description: 'Unix seconds' }),
  model: Type.String(),
  system_fingerprint: Type.String({ description: 'What wrote the answer: the LLM\'s model, or extractive (embedding model)' }),
  choices: Type.Array(Type.Object({
    index: Type.Integer(),
    message: Type.Object({
      role: Type.Literal('assistant'),
      content: Type.String({ description: 'The answer with [n] markers, then a "Sources:" list (title, section, version) when it cites ' +
        'any' }),
      refusal: Type.Null({ description: 'Always null: a refusal is an ordinary answer whose mode is "refused"' })
    }),
    logprobs: Type.Null(),
    finish_reason: Type.Literal('stop')
  })),
  usage: named(ChatCompletionUsageSchema),
  ...AnswerFields
}, { $id: 'ChatCompletion' })

export const ChatCompletionChunkSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('chat.completion.chunk'),
  created: Type.Integer(),
  model: Type.String(),
  system_fingerprint: Type.Optional(Type.String()),
  choices: Type.Array(Type.Object({
    index: Type.Integer(),
    delta: Type.Object({ role: Type.Optional(Type.Literal('assistant')), content: Type.Optional(Type.String()) }),
    logprobs: Type.Null(),
    finish_reason: Nullable(Type.Literal('stop'))
  }), { description: 'Empty in the usage chunk' }),
  usage: Type.Optional(Nullable(named(ChatCompletionUsageSchema))),
  citations: Type.Optional(AnswerFields.citations),
  mode: Type.Optional(AnswerFields.mode),
  reason: AnswerFields.reason
}, {
  $id: 'ChatCompletionChunk',
  description: 'One `data:` line of the stream: a role delta first, content deltas, a chunk with finish_reason and the extra fields ' +
    '(citations, mode, reason), a usage chunk when stream_options.include_usage is set, then `data: [DONE]`'
})

export const ModelSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('model'),
  created: Type.Integer({ description: 'Unix seconds: when this process started' }),
  owned_by: Type.String()
}, { $id: 'Model' })

export const ModelListSchema = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(named(ModelSchema))
}, { $id: 'ModelList' })

export const ModelParamsSchema = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 200 })
})

export const OpenAIErrorSchema = Type.Object({
  error: Type.Object({
    message: Type.String(),
    type: Type.String({ description: 'invalid_request_error, authentication_error, not_found_error, rate_limit_error or server_error' }),
    param: Nullable(Type.String()),
    code: Nullable(Type.String())
  })
}, { $id: 'OpenAIError', description: 'OpenAI\'s error shape, so the SDKs raise their typed errors' })

const OpenAIError = named(OpenAIErrorSchema)
export const openAIErrorResponses = {
  400: OpenAIError,
  401: OpenAIError,
  404: OpenAIError,
  413: OpenAIError,
  415: OpenAIError,
  429: OpenAIError,
  500: OpenAIError,
  503: OpenAIError
}

export const OPENAI_SCHEMAS = [
  ChatCompletionMessageSchema, ChatCompletionRequestSchema, ChatCompletionUsageSchema, ChatCompletionSchema, ChatCompletionChunkSchema,
  ModelSchema, ModelListSchema, OpenAIErrorSchema
]
