import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { InvalidInputError } from '../lib/errors.js'
import { lazySseBody } from '../lib/answer/sse-body.js'
import { ClientStalledError, SseWriter, tokenize } from '../lib/answer/sse-event.js'
import { ChatEventSchema, ChatRequestSchema, ChatResponseSchema } from '../schemas/chat.js'
import { ANSWER_ROUTE_CONFIG, operation } from '../schemas/operations.js'
import { errorResponse, jsonOrEventStream, ref, UnexpectedFailure } from '../schemas/shared.js'

const chat: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/chat', {
    config: ANSWER_ROUTE_CONFIG,
    schema: operation('askQuestion', {
      body: ChatRequestSchema,
      response: {
        200: jsonOrEventStream(
          'The answer as JSON, or as Server-Sent Events with "stream": true or Accept: text/event-stream',
          ref(ChatResponseSchema),
          ref(ChatEventSchema)
        ),
        400: errorResponse('The question is missing, empty, too long or not text; the message says which'),
        500: UnexpectedFailure,
        503: errorResponse('Overloaded or the index is unavailable: retry after Retry-After seconds')
      }
    })
  }, async (request, reply) => {
    const { question, history, top_k: topK, stream } = request.body
    const problem = fastify.answerer.textProblem(question, history)
    if (problem !== null) throw new InvalidInputError(problem)

    const cancel = new AbortController()
    reply.raw.on('close', () => { if (!reply.raw.writableFinished) cancel.abort() })
    const clientLeft = (): FastifyReply => {
      // Nobody is left to answer and nothing went wrong on our side: no error log, no 500.
      request.log.info('client disconnected; the answer was cancelled')
      return reply.hijack()
    }
    const wantsStream = stream || (request.headers.accept ?? '').includes('text/event-stream')
    if (!wantsStream) {
      try {
        return await fastify.answerer.answer({ question, history, topK, signal: cancel.signal, log: request.log })
      } catch (err) {
        if (cancel.signal.aborted) return clientLeft()
        throw err
      }
    }

    const events = lazyEventStream(reply, fastify.config.STREAM_STALL_TIMEOUT_MS, () => {
      // Nobody reads: stop the LLM and free the connection rather than buffer for it.
      cancel.abort()
      reply.raw.destroy()
    })
    try {
      const answer = await fastify.answerer.answer({
        question,
        history,
        topK,
        signal: cancel.signal,
        log: request.log,
        onToken: async (text) => events.send('token', { text })
      })
      if (!events.opened) for (const text of tokenize(answer.answer)) await events.send('token', { text })
      await events.send('done', answer)
    } catch (err) {
      if (err instanceof ClientStalledError) {
        request.log.info({ stall_timeout_ms: fastify.config.STREAM_STALL_TIMEOUT_MS }, 'client stopped reading the stream; dropped')
        return reply
      }
      if (cancel.signal.aborted) {
        if (!events.opened) return clientLeft()
        request.log.info('client disconnected mid-stream; the answer was cancelled')
      } else if (!events.opened) {
        throw err
      } else {
        request.log.error({ err }, 'chat stream failed midway')
        await events.send('error', { message: 'The answer could not be completed; please try again.' }).catch(() => undefined)
      }
    }
    events.end()
    return reply
  })
}

interface LazyEventStream {
  readonly opened: boolean
  send(event: string, data: unknown): Promise<void>
  end(): void
}

/**
 * An SSE body that is only started by the first event, so failures before it still get a JSON
 * error. Writes wait while the client's buffers are full (lib/answer/sse-event's SseWriter).
 */
function lazyEventStream (reply: FastifyReply, stallTimeoutMs: number, onStall: () => void): LazyEventStream {
  const body = lazySseBody(reply)
  let writer: SseWriter | null = null
  return {
    get opened () { return body.opened },
    send: async (event, data) => (writer ??= new SseWriter(body.open(), stallTimeoutMs, onStall)).send(event, data),
    end: () => { body.end() }
  }
}

export default chat
