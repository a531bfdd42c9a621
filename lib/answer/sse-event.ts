import type { Writable } from 'node:stream'

/** One Server-Sent Event: `event:` line, the JSON data on one `data:` line, blank line. */
export function sseEvent (event: string, data: unknown): string {
  // JSON.stringify never emits raw newlines, so one data line always suffices.
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

/** Splits a composed answer into word-sized tokens, so non-LLM answers stream like LLM ones. */
export function tokenize (answer: string): string[] {
  return answer.match(/\S+\s*/g) ?? []
}

/** One unnamed Server-Sent Event (`data:` only), as OpenAI's streams send them; `[DONE]` goes as is. */
export function sseData (data: unknown): string {
  return `data: ${data === '[DONE]' ? data : JSON.stringify(data)}\n\n`
}

/** The client stopped reading for longer than the stall limit, or went away while we waited. */
export class ClientStalledError extends Error {
  override name = 'ClientStalledError'
}

/**
 * Writes events to a stream with its backpressure respected: once the stream's buffer is full,
 * send() resolves only when it drains, so the caller stops pulling tokens from upstream meanwhile.
 * A client that reads nothing for `stallTimeoutMs` is given up on: `onStall` runs (drop the
 * connection, cancel the work) and send() rejects with ClientStalledError.
 */
export class SseWriter {
  constructor (
    private readonly body: Writable,
    private readonly stallTimeoutMs: number,
    private readonly onStall: () => void
  ) {}

  async send (event: string, data: unknown): Promise<void> {
    if (this.body.destroyed) throw new ClientStalledError('the event stream is closed')
    if (this.body.write(sseEvent(event, data))) return
    if (!await drained(this.body, this.stallTimeoutMs)) {
      this.onStall()
      throw new ClientStalledError(`the client read nothing for ${this.stallTimeoutMs} ms`)
    }
  }
}

/** True once the stream drains; false if it closes first or the time runs out. */
function drained (stream: Writable, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const settle = (ok: boolean): void => {
      clearTimeout(timer)
      stream.off('drain', onDrain)
      stream.off('close', onClose)
      resolve(ok)
    }
    const onDrain = (): void => settle(true)
    const onClose = (): void => settle(false)
    const timer = setTimeout(() => settle(false), ms)
    stream.on('drain', onDrain)
    stream.on('close', onClose)
  })
}
