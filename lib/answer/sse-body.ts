import { PassThrough } from 'node:stream'

/** The part of a Fastify reply an SSE body needs (lib/ stays free of Fastify). */
export interface SseReply {
  header(name: string, value: string): unknown
  send(payload: unknown): unknown
}

export interface LazySseBody {
  readonly opened: boolean
  /** The body, started (headers sent) on the first call. */
  open(): PassThrough
  write(text: string): void
  end(): void
}

/** An SSE body that is only started by the first write, so failures before it still get a JSON error. */
export function lazySseBody (reply: SseReply): LazySseBody {
  let body: PassThrough | null = null
  const open = (): PassThrough => {
    if (body === null) {
      body = new PassThrough()
      reply.header('content-type', 'text/event-stream; charset=utf-8')
      reply.header('cache-control', 'no-cache, no-transform')
      reply.header('x-accel-buffering', 'no')
      reply.send(body)
    }
    return body
  }
  return {
    get opened () { return body !== null },
    open,
    write: (text) => { open().write(text) },
    end: () => { open().end() }
  }
}
