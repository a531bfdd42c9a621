import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { randomUUID } from 'node:crypto'
import type { ChatAnswer } from '../lib/answer/chat.js'
import { errorReply } from '../lib/ops/error-reply.js'
import { InvalidMessagesError, ModelNotFoundError } from '../lib/errors.js'
import {
  chunkBuilder, completionContent, contentPieces, MODEL_ID, openAIError, remainingContent, toCompletion, toConversation, validationParam,
  type CompletionMeta, type Conversation, type VersionOf
} from '../lib/answer/openai-compat.js'
import { lazySseBody } from '../lib/answer/sse-body.js'
import { sseData } from '../lib/answer/sse-event.js'
import type { VectorStore } from '../lib/search/vector-store.js'
import {
  ChatCompletionChunkSchema, ChatCompletionRequestSchema, ChatCompletionSchema, ModelListSchema, ModelParamsSchema, ModelSchema, named,
  OPENAI_SCHEMAS,
  openAIErrorResponses
} from '../schemas/openai.js'
import { ANSWER_ROUTE_CONFIG, operation } from '../schemas/operations.js'
import { jsonOrEventStream } from '../schemas/shared.js'

/** Every route here is under /v1, with its own error and not-found handlers (OpenAI's error shape). */
export const autoPrefix = '/v1'

const TOP_K = 5
const security = [{ bearerAuth: [] }]

/**
 * OpenAI's chat-completions protocol (GET /v1/models, POST /v1/chat/completions), so the openai
 * SDKs and chat front ends use the service unchanged. A thin adapter: lib/answer/openai-compat converts
 * the messages and the answer; the answer itself comes from the same answerer as /chat.
 */
const openai: FastifyPluginAsyncTypebox = async (fastify) => {
  const started = Math.floor(Date.now() / 1000)
  const model = { id: MODEL_ID, object: 'model' as const, created: started, owned_by: MODEL_ID }
  const versionOf = documentVersions(() => fastify.policyIndex.current)
  for (const schema of OPENAI_SCHEMAS) fastify.addSchema(schema)

  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, message, code } = errorReply(error, { log: request.log })
    const param = error.validation === undefined ? paramOf(error) : validationParam(error.validation)
    reply.code(status).send(openAIError(status, message, code, param))
  })
  fastify.setNotFoundHandler((request, reply) => {
    reply.code(404).send(openAIError(404, `Route ${request.method} ${request.url} not found`))
  })

  fastify.get('/models', {
    config: { auth: 'key' },
    schema: operation('listModels', {
      security,
      response: { 200: { ...named(ModelListSchema), description: 'The models: policy-rag' }, ...openAIErrorResponses }
    })
  }, async () => ({ object: 'list' as const, data: [model] }))

  fastify.get('/models/:model', {
    config: { auth: 'key' },
    schema: operation('retrieveModel', {
      security,
      params: ModelParamsSchema,
      response: { 200: { ...named(ModelSchema), description: 'The model' }, ...openAIErrorResponses }
    })
  }, async (request) => {
    if (request.params.model !== MODEL_ID) throw withParam(new ModelNotFoundError(request.params.model), 'model')
    return model
  })

  fastify.post('/chat/completions', {
    config: ANSWER_ROUTE_CONFIG,
    schema: operation('createChatCompletion', {
      security,
      body: named(ChatCompletionRequestSchema),
      response: {
        200: jsonOrEventStream('The answer', named(ChatCompletionSchema), named(ChatCompletionChunkSchema)),
        ...openAIErrorResponses
      }
    })
  }, async (request, reply) => {
    const body = request.body
    if (body.model !== MODEL_ID) throw withParam(new ModelNotFoundError(body.model), 'model')
    const conversation = toConversation(body.messages)
    if ('problem' in conversation) throw withParam(new InvalidMessagesError(conversation.problem), conversation.param)
    const problem = fastify.answerer.textProblem(conversation.question, conversation.history)
    if (problem !== null) throw messagesProblem(problem, conversation)

    const cancel = new AbortController()
    reply.raw.on('close', () => { if (!reply.raw.writableFinished) cancel.abort() })
    const ask = { question: conversation.question, history: conversation.history, topK: TOP_K, signal: cancel.signal, log: request.log }
    const meta: CompletionMeta = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000) }
    if (body.stream !== true) {
      try {
        const answer = await fastify.answerer.answer(ask)
        return toCompletion(answer, completionContent(answer, versionOf), meta)
      } catch (err) {
        if (cancel.signal.aborted) return clientLeft(request, reply)
        throw err
      }
    }

    return streamCompletion(request, reply, {
      answer: async (onToken) => fastify.answerer.answer({ ...ask, onToken }),
      versionOf,
      meta,
      includeUsage: body.stream_options?.include_usage === true,
      signal: cancel.signal
    })
  })
}

interface StreamOptions {
  answer(onToken: (text: string) => void): Promise<ChatAnswer>
  versionOf: VersionOf
  meta: CompletionMeta
  includeUsage: boolean
  /** Aborted when the client left. */
  signal: AbortSignal
}

/**
 * The answer as chat.completion.chunk events: the role, the tokens as the LLM writes them (or the
 * answer in word-sized pieces), the rest of the content, the finish chunk, usage if asked, [DONE].
 * Nothing is sent before the first token, so a failure before it still gets a JSON error.
 */
async function streamCompletion (request: FastifyRequest, reply: FastifyReply, options: StreamOptions): Promise<FastifyReply> {
  const events = lazySseBody(reply)
  const chunks = chunkBuilder(options.meta, options.includeUsage)
  const emit = (chunk: unknown): void => {
    if (!events.opened) events.write(sseData(chunks.role()))
    events.write(sseData(chunk))
  }
  let streamed = ''
  try {
    const answer = await options.answer((text) => {
      streamed += text
      emit(chunks.content(text))
    })
    for (const text of contentPieces(remainingContent(completionContent(answer, options.versionOf), streamed))) emit(chunks.content(text))
    emit(chunks.finish(answer))
    if (options.includeUsage) emit(chunks.usage(answer))
    events.write(sseData('[DONE]'))
  } catch (err) {
    const cancelled = options.signal.aborted
    if (cancelled && !events.opened) return clientLeft(request, reply)
    if (cancelled) {
      request.log.info('client disconnected mid-stream; the answer was cancelled')
    } else if (!events.opened) {
      throw err
    } else {
      request.log.error({ err }, 'chat completion stream failed midway')
      // OpenAI's SDKs raise an APIError for an `error` object in the stream.
      events.write(sseData(openAIError(500, 'The answer could not be completed; please try again.')))
    }
  }
  events.end()
  return reply
}

/** Nobody is left to answer and nothing went wrong on our side: no error log, no 500. */
function clientLeft (request: FastifyRequest, reply: FastifyReply): FastifyReply {
  request.log.info('client disconnected; the answer was cancelled')
  return reply.hijack()
}

function withParam<E extends Error> (error: E, param: string): E & { param: string } {
  return Object.assign(error, { param })
}

function paramOf (error: unknown): string | null {
  const param = (error as { param?: unknown }).param
  return typeof param === 'string' ? param : null
}

/** The answerer names the fields of /chat (question, history[i].content): name the message instead. */
function messagesProblem (problem: string, conversation: Conversation): Error {
  const field = /^(?:question|history\[(\d+)\]\.content)\b/.exec(problem)
  if (field === null) return withParam(new InvalidMessagesError(problem), 'messages')
  const param = conversation.params[field[1] === undefined ? 0 : Number(field[1]) + 1] ?? 'messages'
  return withParam(new InvalidMessagesError(param + problem.slice(field[0].length)), param)
}

/** Document versions for the Sources list, read once per open index (a reload swaps the store). */
function documentVersions (current: () => VectorStore | undefined): VersionOf {
  const cache = new WeakMap<VectorStore, Map<string, string>>()
  return (documentId) => {
    const store = current()
    if (store === undefined) return undefined
    let versions = cache.get(store)
    if (versions === undefined) {
      versions = new Map(store.listDocuments().flatMap((d) => d.version === null ? [] : [[d.id, d.version] as const]))
      cache.set(store, versions)
    }
    return versions.get(documentId)
  }
}

export default openai
