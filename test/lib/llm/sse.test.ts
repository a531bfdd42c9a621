import fc from 'fast-check'
import { test } from 'tap'
import { parseSse, SseParser, type SseEvent } from '../../../lib/llm/sse.js'

function parseAll (chunks: Array<Uint8Array | string>): SseEvent[] {
  const parser = new SseParser()
  const events = chunks.flatMap((chunk) => parser.push(chunk))
  return [...events, ...parser.end()]
}

test('data lines, event names, ids, retry and comments', async (t) => {
  const events = parseAll([
    ': keepalive\n',
    'event: token\nid: 7\nretry: 1500\ndata: {"text":"hi"}\n\n',
    'data: [DONE]\n\n'
  ])
  t.same(events, [
    { event: 'token', data: '{"text":"hi"}', id: '7', retry: 1500 },
    { event: 'message', data: '[DONE]', id: '7' }
  ])
})

test('multi-line data joins with newlines; one optional space after the colon', async (t) => {
  t.same(parseAll(['data:first\ndata:  second\ndata\n\n']), [{ event: 'message', data: 'first\n second\n' }])
})

test('CRLF, CR and LF line endings, and a CRLF split between chunks', async (t) => {
  const expected = [{ event: 'message', data: 'a' }, { event: 'message', data: 'b' }, { event: 'message', data: 'c' }]
  t.same(parseAll(['data: a\r\n\r\ndata: b\r\rdata: c\n\n']), expected)
  t.same(parseAll(['data: a\r', '\n\r', '\ndata: b\r', '\r', 'data: c\n', '\n']), expected)
})

test('events without data are not dispatched; an unterminated last event is dropped', async (t) => {
  t.same(parseAll(['event: ping\n\n: comment only\n\n', 'data: kept\n\n', 'data: cut off']), [{ event: 'message', data: 'kept' }])
})

test('a UTF-8 character split across chunks and a leading BOM', async (t) => {
  const bytes = Buffer.from('\uFEFFdata: café ☕\n\n')
  const at = bytes.indexOf(0xe2) + 1
  t.same(parseAll([bytes.subarray(0, at), bytes.subarray(at)]), [{ event: 'message', data: 'café ☕' }])
})

test('unknown fields are ignored; an invalid retry is ignored', async (t) => {
  t.same(parseAll(['foo: bar\nretry: soon\ndata: x\n\n']), [{ event: 'message', data: 'x' }])
})

test('parseSse reads an async byte stream', async (t) => {
  async function * source (): AsyncGenerator<Uint8Array> {
    yield Buffer.from('data: one\n')
    yield Buffer.from('\ndata: two\n\n')
  }
  const events: SseEvent[] = []
  for await (const event of parseSse(source())) events.push(event)
  t.same(events.map((e) => e.data), ['one', 'two'])
})

const fieldText = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ':', '{', '"', 'é', '☕', '𝄞', '0'), maxLength: 12 })
const lineEnd = fc.constantFrom('\n', '\r\n', '\r')
const arbEvent = fc.record({
  event: fc.option(fc.constantFrom('token', 'done', 'error'), { nil: undefined }),
  lines: fc.array(fieldText, { minLength: 1, maxLength: 3 }),
  comment: fc.boolean()
})

test('property: splitting the byte stream anywhere yields the same events', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.tuple(arbEvent, lineEnd), { maxLength: 6 }),
    fc.array(fc.nat(), { maxLength: 8 }),
    (specs, cutSeeds) => {
      let wire = ''
      const expected: SseEvent[] = []
      for (const [spec, nl] of specs) {
        if (spec.comment) wire += `: keepalive${nl}`
        if (spec.event !== undefined) wire += `event: ${spec.event}${nl}`
        for (const line of spec.lines) wire += `data: ${line}${nl}`
        wire += nl
        expected.push({ event: spec.event ?? 'message', data: spec.lines.join('\n') })
      }
      const bytes = Buffer.from(wire)
      const cuts = [...new Set(cutSeeds.map((seed) => bytes.length === 0 ? 0 : seed % (bytes.length + 1)))].sort((a, b) => a - b)
      const chunks: Uint8Array[] = []
      let from = 0
      for (const at of [...cuts, bytes.length]) {
        chunks.push(bytes.subarray(from, at))
        from = at
      }
      const whole = parseAll([bytes])
      const split = parseAll(chunks)
      return JSON.stringify(whole) === JSON.stringify(expected) && JSON.stringify(split) === JSON.stringify(expected)
    }
  ), { numRuns: 500 })
  t.pass('500 random streams and splits agreed')
})
