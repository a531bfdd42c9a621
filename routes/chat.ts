import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { PassThrough } from 'node:stream'
import { ChatRequestSchema, ChatResponseSchema } from '../lib/chat-schemas.js'
import { InvalidInputError } from '../lib/errors.js'
import { errorResponses } from '../lib/schemas.js'
import { ClientStalledError, SseWriter, tokenize } from '../lib/sse-event.js'

const chat: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/chat', {
    config: { shedUnderPressure: true, auth: 'key' },
    schema: {
      tags: ['answers'],
      summary: 'Answer a question from the policies, with [n] citations',
      description: 'JSON by default. With "stream": true or Accept: text/event-stream, Server-Sent Events: `token` events ({"text"}) as the ' +
        'answer is written, then `done` with the whole response object below (its `answer` is authoritative: it is the checked answer, ' +
        'and it replaces the streamed text if an LLM answer had to fall back), or `error` ({"message"}) if it fails midway.',
      body: ChatRequestSchema,
      response: { 200: ChatResponseSchema, ...errorResponses }
    }
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
      const answer = await fastify.answerer.answer({ question, history, topK, signal: cancel.signal, log: request.log, onToken: async (text) => events.send('token', { text }) })
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
 * error. Writes wait while the client's buffers are full (lib/sse-event's SseWriter).
 */
function lazyEventStream (reply: FastifyReply, stallTimeoutMs: number, onStall: () => void): LazyEventStream {
  let body: PassThrough | null = null
  let writer: SseWriter | null = null
  const open = (): SseWriter => {
    if (writer === null) {
      body = new PassThrough()
      writer = new SseWriter(body, stallTimeoutMs, onStall)
      reply.header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no')
        .send(body)
    }
    return writer
  }
  return {
    get opened () { return body !== null },
    send: async (event, data) => open().send(event, data),
    end: () => {
      open()
      body?.end()
    }
  }
}

export default chat
