import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { AppConfig } from '../../lib/config.js'
import { build, sharedEmbedder } from '../helper.js'

// Every real response of every route, success and error, checked against the document the same
// app serves: its status is listed, its content type is listed, its body validates against the
// listed schema (each event of a stream against the event schema), and the headers the
// document promises are there.

interface MediaType { schema: unknown }
interface Response { content?: Record<string, MediaType>, headers?: Record<string, { schema: unknown, required?: boolean }> }
interface OpenApi { paths: Record<string, Record<string, { responses: Record<string, Response> }>> }

const KEY = 'contract-test-key'
const auth = { authorization: `Bearer ${KEY}` }
const json = (payload: unknown, headers: Record<string, string> = {}): Pick<InjectOptions, 'payload' | 'headers'> =>
  ({ payload: JSON.stringify(payload), headers: { 'content-type': 'application/json', ...auth, ...headers } })

/** A request and the operation it calls: method and OpenAPI path template. */
interface Case { name: string, op: [method: string, path: string], request: InjectOptions, expect: number }

class Contract {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true })
  private readonly validators = new Map<string, ValidateFunction>()

  constructor (private readonly doc: OpenApi) {
    addFormats.default(this.ajv)
    this.ajv.addSchema(doc as object, 'openapi')
  }

  /** What is wrong with this response, by the document; empty when nothing is. */
  problems ([method, path]: Case['op'], status: number, headers: Record<string, unknown>, body: string): string[] {
    const response = this.doc.paths[path]?.[method.toLowerCase()]?.responses[String(status)]
    if (response === undefined) return [`${status} is not listed for ${method} ${path}`]
    const type = String(headers['content-type'] ?? '').split(';')[0]?.trim() ?? ''
    const media = response.content?.[type]
    if (media === undefined) return [`content type ${type} is not listed for ${status}`]
    const pointer = `openapi#/paths/${path.replaceAll(
      '/',
      '~1'
    )}/${method.toLowerCase()}/responses/${status}/content/${type.replaceAll('/', '~1')}/schema`
    const problems: string[] = []
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const value = headers[name.toLowerCase()]
      if (value === undefined && header.required === true) problems.push(`header ${name} is missing`)
      if (value === undefined) continue
      problems.push(
        ...this.validate(
          `${pointer}/../../../headers/${name}/schema`,
          header.schema,
          coerce(String(value))
        ).map((p) => `header ${name}: ${p}`)
      )
    }
    const values = type === 'text/event-stream' ? parseEvents(body) : type === 'application/json' ? [JSON.parse(body)] : [body]
    for (const value of values) problems.push(...this.validate(pointer, media.schema, value))
    return problems
  }

  private validate (pointer: string, schema: unknown, value: unknown): string[] {
    let validate = this.validators.get(pointer)
    if (validate === undefined) {
      // Header schemas sit beside the media types: compile them standalone, they hold no $ref.
      validate = pointer.includes('/headers/') ? this.ajv.compile(schema as object) : this.ajv.getSchema(pointer)
      if (validate === undefined) return [`no schema at ${pointer}`]
      this.validators.set(pointer, validate)
    }
    if (validate(value)) return []
    return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} (${JSON.stringify(value).slice(0, 160)})`)
  }
}

function coerce (value: string): unknown {
  return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value
}

/**
 * Server-Sent Events as the document describes them: named events (/chat) as {event, data} with
 * data parsed, unnamed ones (/v1's chunks) as their data, without OpenAI's closing [DONE].
 */
function parseEvents (body: string): unknown[] {
  return body.split('\n\n').filter((block) => block.trim() !== '').flatMap((block) => {
    const lines = block.split('\n')
    const event = lines.find((l) => l.startsWith('event: '))?.slice(7)
    const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')
    if (event !== undefined) return [{ event, data: JSON.parse(data) }]
    return data === '[DONE]' ? [] : [JSON.parse(data)]
  })
}

async function check (
  t: { test: typeof import('tap').test },
  label: string,
  config: Partial<AppConfig>,
  cases: (app: FastifyInstance) => Promise<Case[]>
): Promise<void> {
  await t.test(label, async (t) => {
    // The first chat loads the model, which on a loaded machine can stall the loop past the shedding
    // threshold; shedding is checked on its own below (memory pressure).
    const app = await build(t, { MAX_EVENT_LOOP_DELAY_MS: 0, ...config }, { embedder: sharedEmbedder() })
    await app.ready()
    const contract = new Contract((await app.inject('/openapi.json')).json() as OpenApi)
    for (const c of await cases(app)) {
      const res = await app.inject(c.request)
      t.equal(res.statusCode, c.expect, `${c.name}: status (${res.body.slice(0, 200)})`)
      t.same(contract.problems(c.op, res.statusCode, res.headers, res.body), [], `${c.name}: ${res.statusCode} matches the document`)
    }
  })
}

const chat: Case['op'] = ['POST', '/chat']
const search: Case['op'] = ['POST', '/search']
const oneDocument: Case['op'] = ['GET', '/documents/{id}']
const reload: Case['op'] = ['POST', '/admin/reload']
const completions: Case['op'] = ['POST', '/v1/chat/completions']
const QUESTION = { question: 'Can I carry unused PTO into next year?' }
const QUERY = { query: 'how many vacation days do I get' }
const COMPLETION = { model: 'policy-rag', messages: [{ role: 'user', content: 'Can I carry unused PTO into next year?' }] }
const typed = (type: string, payload: string): InjectOptions => ({ payload, headers: { 'content-type': type, ...auth } })

/** A case whose request goes to the operation's method and path, unless `request` says otherwise (a URL with parameters). */
function call (name: string, op: Case['op'], expect: number, request: InjectOptions = {}): Case {
  return { name, op, expect, request: { method: op[0] as InjectOptions['method'], url: op[1], ...request } }
}

await check(t, 'with API keys: successes, 400, 401, 404, 409, 413, 415', { API_KEYS: KEY, BODY_LIMIT_BYTES: 2048 }, async () => [
  call('chat', chat, 200, json(QUESTION)),
  call('chat streamed', chat, 200, json({ ...QUESTION, stream: true })),
  call('chat via Accept', chat, 200, json(QUESTION, { accept: 'text/event-stream' })),
  call('chat refused', chat, 200, json({ question: 'What is the best pizza in town?' })),
  call('chat without question', chat, 400, json({ top_k: 3 })),
  call('chat without key', chat, 401, { payload: QUESTION }),
  call('chat too large', chat, 413, json({ question: 'x'.repeat(4000) })),
  call('chat as text', chat, 415, typed('text/plain', 'Can I carry PTO over?')),
  call('search', search, 200, json(QUERY)),
  call('search filtered', search, 200, json({ ...QUERY, mode: 'keyword', category: 'hr', document_id: 'pto-policy', top_k: 2 })),
  call('search unknown category', search, 400, json({ ...QUERY, category: 'holidays' })),
  call('search bad top_k', search, 400, json({ ...QUERY, top_k: 99 })),
  call('search malformed JSON', search, 400, typed('application/json', '{"query":')),
  call('search with a wrong key', search, 401, json(QUERY, { authorization: 'Bearer nope' })),
  call('search too large', search, 413, json({ query: 'x'.repeat(3000) })),
  call('search as form', search, 415, typed('application/x-www-form-urlencoded', 'query=pto')),
  call('documents', ['GET', '/documents'], 200, { headers: auth }),
  call('documents without key', ['GET', '/documents'], 401),
  call('one document', oneDocument, 200, { url: '/documents/pto-policy', headers: auth }),
  call('unknown document', oneDocument, 404, { url: '/documents/no-such-policy', headers: auth }),
  call('document id too long', oneDocument, 414, { url: `/documents/${'a'.repeat(101)}`, headers: auth }),
  call('document id badly encoded', oneDocument, 400, { url: '/documents/%E0%A4%A', headers: auth }),
  call('one document without key', oneDocument, 401, { url: '/documents/pto-policy' }),
  call('health', ['GET', '/health'], 200),
  call('memory', ['GET', '/memory'], 200),
  call('metrics', ['GET', '/metrics'], 200),
  call('stats', ['GET', '/stats'], 200),
  call('reload', reload, 200, { headers: auth }),
  call('reload without key', reload, 401),
  call('v1 models', ['GET', '/v1/models'], 200, { headers: auth }),
  call('v1 models without key', ['GET', '/v1/models'], 401),
  call('v1 model', ['GET', '/v1/models/{model}'], 200, { url: '/v1/models/policy-rag', headers: auth }),
  call('v1 unknown model', ['GET', '/v1/models/{model}'], 404, { url: '/v1/models/gpt-4o', headers: auth }),
  call('v1 completion', completions, 200, json(COMPLETION)),
  call('v1 completion streamed', completions, 200, json({ ...COMPLETION, stream: true })),
  call('v1 completion without messages', completions, 400, json({ model: 'policy-rag' })),
  call('v1 completion as text', completions, 415, typed('text/plain', 'hello')),
  call('reload with a body that is not JSON', reload, 415, typed('text/plain', 'now'))
])

await check(t, 'METRICS_REQUIRE_KEY: /metrics and /stats answer 401 without a key', {
  API_KEYS: KEY,
  METRICS_REQUIRE_KEY: true
}, async () => [
  call('metrics without key', ['GET', '/metrics'], 401),
  call('metrics with key', ['GET', '/metrics'], 200, { headers: auth }),
  call('stats without key', ['GET', '/stats'], 401)
])

await check(t, 'the rate limiter: 429 with Retry-After and X-RateLimit-*', {
  API_KEYS: KEY,
  RATE_LIMIT_MAX: 1,
  RATE_LIMIT_LIGHT_MAX: 1
}, async (app) => {
  // Two buckets per client: fetching the document used up the light one; one search uses up the one for answers.
  await app.inject({ method: 'POST', url: '/search', ...json(QUERY) })
  const limited: Array<[Case['op'], InjectOptions]> = [
    [chat, json(QUESTION)],
    [search, json(QUERY)],
    [['GET', '/documents'], { headers: auth }],
    [oneDocument, { url: '/documents/pto-policy', headers: auth }],
    [['GET', '/memory'], {}],
    [['GET', '/stats'], {}],
    [reload, { headers: auth }],
    [['GET', '/v1/models'], { headers: auth }],
    [completions, json(COMPLETION)]
  ]
  return limited.map(([op, request]) => call(op.join(' '), op, 429, request))
})

await check(t, 'no index: 503 from the corpus, search, chat and health; a reload that fails is a 409', {
  API_KEYS: KEY,
  VECTOR_STORE_PATH: join('/nonexistent', 'policies.sqlite')
}, async () => [
  call('documents', ['GET', '/documents'], 503, { headers: auth }),
  call('one document', oneDocument, 503, { url: '/documents/pto-policy', headers: auth }),
  call('search', search, 503, json(QUERY)),
  call('chat', chat, 503, json(QUESTION)),
  call('health', ['GET', '/health'], 503),
  call('reload', reload, 409, { headers: auth })
])

await check(t, 'under memory pressure: search and chat shed with 503 and Retry-After', {
  MEMORY_WARNING_FRACTION: 0.001,
  MEMORY_PRESSURE_FRACTION: 0.002,
  PRESSURE_SAMPLE_INTERVAL_MS: 10
}, async () => {
  await sleep(60)
  return [
    call('search', search, 503, json(QUERY)),
    call('chat', chat, 503, json(QUESTION)),
    call('health', ['GET', '/health'], 200)
  ]
})

t.test('the named schemas\' examples validate against them', async (t) => {
  const app = await build(t, { API_KEYS: KEY }, { embedder: sharedEmbedder() })
  const doc = (await app.inject('/openapi.json')).json() as { components: { schemas: Record<string, { examples?: unknown[] }> } }
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats.default(ajv)
  ajv.addSchema(doc, 'openapi')
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    for (const example of schema.examples ?? []) {
      const validate = ajv.getSchema(`openapi#/components/schemas/${name}`)
      t.ok(validate?.(example), `${name} example: ${JSON.stringify(validate?.errors ?? [])}`)
    }
  }
})
