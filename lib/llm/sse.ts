/**
 * Incremental Server-Sent Events parser following the WHATWG event-stream
 * rules: lines end in CRLF, LF or CR (a CRLF split across chunks counts once),
 * `:` lines are comments, `data` lines of one event are joined with "\n", a
 * blank line dispatches, and an unterminated event at end of stream is
 * discarded. Bytes are decoded as UTF-8 in streaming mode, so a chunk boundary
 * may fall anywhere, even inside a multi-byte character.
 */
export interface SseEvent {
  event: string
  data: string
  id?: string
  retry?: number
}

export class SseParser {
  #decoder = new TextDecoder('utf-8')
  #buffer = ''
  #afterCr = false
  #started = false
  #data: string[] = []
  #hasData = false
  #event = ''
  #id: string | undefined
  #retry: number | undefined

  push (chunk: Uint8Array | string): SseEvent[] {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true })
    return this.#feed(text)
  }

  /** Flushes the decoder; a final event without its blank line is dropped. */
  end (): SseEvent[] {
    const events = this.#feed(this.#decoder.decode())
    this.#buffer = ''
    this.#resetEvent()
    return events
  }

  #feed (text: string): SseEvent[] {
    if (text.length === 0) return []
    if (!this.#started) {
      this.#started = true
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    const events: SseEvent[] = []
    let start = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 10 && this.#afterCr && i === start && this.#buffer === '') {
        this.#afterCr = false
        start = i + 1
        continue
      }
      this.#afterCr = false
      if (c !== 10 && c !== 13) continue
      const line = this.#buffer + text.slice(start, i)
      this.#buffer = ''
      this.#afterCr = c === 13
      start = i + 1
      const event = this.#line(line)
      if (event !== null) events.push(event)
    }
    this.#buffer += text.slice(start)
    return events
  }

  #line (line: string): SseEvent | null {
    if (line === '') return this.#dispatch()
    if (line.charCodeAt(0) === 58) return null
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.charCodeAt(0) === 32) value = value.slice(1)
    switch (field) {
      case 'data':
        this.#data.push(value)
        this.#hasData = true
        break
      case 'event':
        this.#event = value
        break
      case 'id':
        if (!value.includes('\0')) this.#id = value
        break
      case 'retry':
        if (/^\d+$/.test(value)) this.#retry = Number(value)
        break
    }
    return null
  }

  #dispatch (): SseEvent | null {
    if (!this.#hasData) {
      this.#event = ''
      return null
    }
    const event: SseEvent = { event: this.#event === '' ? 'message' : this.#event, data: this.#data.join('\n') }
    if (this.#id !== undefined) event.id = this.#id
    if (this.#retry !== undefined) event.retry = this.#retry
    this.#data = []
    this.#hasData = false
    this.#event = ''
    this.#retry = undefined
    return event
  }

  #resetEvent (): void {
    this.#data = []
    this.#hasData = false
    this.#event = ''
    this.#retry = undefined
  }
}

/** Parses a byte (or string) stream into events as they complete. */
export async function * parseSse (source: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent> {
  const parser = new SseParser()
  for await (const chunk of source) yield * parser.push(chunk)
  yield * parser.end()
}
