import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { AppConfig } from '../../lib/config.js'
import { build } from '../helper.js'

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
    const app = await build(t, { MAX_EVENT_LOOP_DELAY_MS: 0, ...config })
    await app.ready()
    const contract = new Contract((await app.inject('/openapi.json')).json() as OpenApi)
    for (const c of await cases(app)) {
      const res = await app.inject(c.request)
      t.equal(res.statusCode, c.expect, `${c.name}: status (${res.body.slice(0, 200)})`)
      t.same(contract.problems(c.op, res.statusCode, res.headers, res.body), [], `${c.name}: ${res.statusCode} matches the document`)
    }
  })
}

const chat = ['POST', '/chat'] as const
const search = ['POST', '/search'] as const
const QUESTION = { question: 'Can I carry unused PTO into next year?' }
const QUERY = { query: 'how many vacation days do I get' }
const COMPLETION = { model: 'policy-rag', messages: [{ role: 'user', content: 'Can I carry unused PTO into next year?' }] }

await check(t, 'with API keys: successes, 400, 401, 404, 409, 413, 415', { API_KEYS: KEY, BODY_LIMIT_BYTES: 2048 }, async () => [
  { name: 'chat', op: [...chat], request: { method: 'POST', url: '/chat', ...json(QUESTION) }, expect: 200 },
  { name: 'chat streamed', op: [...chat], request: { method: 'POST', url: '/chat', ...json({ ...QUESTION, stream: true }) }, expect: 200 },
  {
    name: 'chat via Accept',
    op: [...chat],
    request: { method: 'POST', url: '/chat', ...json(QUESTION, { accept: 'text/event-stream' }) },
    expect: 200
  },
  {
    name: 'chat refused',
    op: [...chat],
    request: { method: 'POST', url: '/chat', ...json({ question: 'What is the best pizza in town?' }) },
    expect: 200
  },
  { name: 'chat without question', op: [...chat], request: { method: 'POST', url: '/chat', ...json({ top_k: 3 }) }, expect: 400 },
  { name: 'chat without key', op: [...chat], request: { method: 'POST', url: '/chat', payload: QUESTION }, expect: 401 },
  {
    name: 'chat too large',
    op: [...chat],
    request: { method: 'POST', url: '/chat', ...json({ question: 'x'.repeat(4000) }) },
    expect: 413
  },
  {
    name: 'chat as text',
    op: [...chat],
    request: { method: 'POST', url: '/chat', payload: 'Can I carry PTO over?', headers: { 'content-type': 'text/plain', ...auth } },
    expect: 415
  },
  { name: 'search', op: [...search], request: { method: 'POST', url: '/search', ...json(QUERY) }, expect: 200 },
  {
    name: 'search filtered',
    op: [...search],
    request: {
      method: 'POST',
      url: '/search',
      ...json({ ...QUERY, mode: 'keyword', category: 'hr', document_id: 'pto-policy', top_k: 2 })
    },
    expect: 200
  },
  {
    name: 'search unknown category',
    op: [...search],
    request: { method: 'POST', url: '/search', ...json({ ...QUERY, category: 'holidays' }) },
    expect: 400
  },
  { name: 'search bad top_k', op: [...search], request: { method: 'POST', url: '/search', ...json({ ...QUERY, top_k: 99 }) }, expect: 400 },
  {
    name: 'search malformed JSON',
    op: [...search],
    request: { method: 'POST', url: '/search', payload: '{"query":', headers: { 'content-type': 'application/json', ...auth } },
    expect: 400
  },
  {
    name: 'search with a wrong key',
    op: [...search],
    request: { method: 'POST', url: '/search', ...json(QUERY, { authorization: 'Bearer nope' }) },
    expect: 401
  },
  {
    name: 'search too large',
    op: [...search],
    request: { method: 'POST', url: '/search', ...json({ query: 'x'.repeat(3000) }) },
    expect: 413
  },
  {
    name: 'search as form',
    op: [...search],
    request: {
      method: 'POST',
      url: '/search',
      payload: 'query=pto',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth }
    },
    expect: 415
  },
  { name: 'documents', op: ['GET', '/documents'], request: { url: '/documents', headers: auth }, expect: 200 },
  { name: 'documents without key', op: ['GET', '/documents'], request: { url: '/documents' }, expect: 401 },
  { name: 'one document', op: ['GET', '/documents/{id}'], request: { url: '/documents/pto-policy', headers: auth }, expect: 200 },
  { name: 'unknown document', op: ['GET', '/documents/{id}'], request: { url: '/documents/no-such-policy', headers: auth }, expect: 404 },
  {
    name: 'document id too long',
    op: ['GET', '/documents/{id}'],
    request: { url: `/documents/${'a'.repeat(101)}`, headers: auth },
    expect: 414
  },
  {
    name: 'document id badly encoded',
    op: ['GET', '/documents/{id}'],
    request: { url: '/documents/%E0%A4%A', headers: auth },
    expect: 400
  },
  { name: 'one document without key', op: ['GET', '/documents/{id}'], request: { url: '/documents/pto-policy' }, expect: 401 },
  { name: 'health', op: ['GET', '/health'], request: { url: '/health' }, expect: 200 },
  { name: 'memory', op: ['GET', '/memory'], request: { url: '/memory' }, expect: 200 },
  { name: 'metrics', op: ['GET', '/metrics'], request: { url: '/metrics' }, expect: 200 },
  { name: 'stats', op: ['GET', '/stats'], request: { url: '/stats' }, expect: 200 },
  { name: 'reload', op: ['POST', '/admin/reload'], request: { method: 'POST', url: '/admin/reload', headers: auth }, expect: 200 },
  { name: 'reload without key', op: ['POST', '/admin/reload'], request: { method: 'POST', url: '/admin/reload' }, expect: 401 },
  { name: 'v1 models', op: ['GET', '/v1/models'], request: { url: '/v1/models', headers: auth }, expect: 200 },
  { name: 'v1 models without key', op: ['GET', '/v1/models'], request: { url: '/v1/models' }, expect: 401 },
  { name: 'v1 model', op: ['GET', '/v1/models/{model}'], request: { url: '/v1/models/policy-rag', headers: auth }, expect: 200 },
  { name: 'v1 unknown model', op: ['GET', '/v1/models/{model}'], request: { url: '/v1/models/gpt-4o', headers: auth }, expect: 404 },
  {
    name: 'v1 completion',
    op: ['POST', '/v1/chat/completions'],
    request: { method: 'POST', url: '/v1/chat/completions', ...json(COMPLETION) },
    expect: 200
  },
  {
    name: 'v1 completion streamed',
    op: ['POST', '/v1/chat/completions'],
    request: { method: 'POST', url: '/v1/chat/completions', ...json({ ...COMPLETION, stream: true }) },
    expect: 200
  },
  {
    name: 'v1 completion without messages',
    op: ['POST', '/v1/chat/completions'],
    request: { method: 'POST', url: '/v1/chat/completions', ...json({ model: 'policy-rag' }) },
    expect: 400
  },
  {
    name: 'v1 completion as text',
    op: ['POST', '/v1/chat/completions'],
    request: { method: 'POST', url: '/v1/chat/completions', payload: 'hello', headers: { 'content-type': 'text/plain', ...auth } },
    expect: 415
  },
  {
    name: 'reload with a body that is not JSON',
    op: ['POST', '/admin/reload'],
    request: { method: 'POST', url: '/admin/reload', payload: 'now', headers: { 'content-type': 'text/plain', ...auth } },
    expect: 415
  }
])

await check(t, 'METRICS_REQUIRE_KEY: /metrics and /stats answer 401 without a key', {
  API_KEYS: KEY,
  METRICS_REQUIRE_KEY: true
}, async () => [
  { name: 'metrics without key', op: ['GET', '/metrics'], request: { url: '/metrics' }, expect: 401 },
  { name: 'metrics with key', op: ['GET', '/metrics'], request: { url: '/metrics', headers: auth }, expect: 200 },
  { name: 'stats without key', op: ['GET', '/stats'], request: { url: '/stats' }, expect: 401 }
])

await check(t, 'the rate limiter: 429 with Retry-After and X-RateLimit-*', {
  API_KEYS: KEY,
  RATE_LIMIT_MAX: 1,
  RATE_LIMIT_LIGHT_MAX: 1
}, async (app) => {
  // Two buckets per client: fetching the document used up the light one; one search uses up the one for answers.
  await app.inject({ method: 'POST', url: '/search', ...json(QUERY) })
  const limited: Array<[Case['op'], InjectOptions]> = [
    [[...chat], { method: 'POST', url: '/chat', ...json(QUESTION) }],
    [[...search], { method: 'POST', url: '/search', ...json(QUERY) }],
    [['GET', '/documents'], { url: '/documents', headers: auth }],
    [['GET', '/documents/{id}'], { url: '/documents/pto-policy', headers: auth }],
    [['GET', '/memory'], { url: '/memory' }],
    [['GET', '/stats'], { url: '/stats' }],
    [['POST', '/admin/reload'], { method: 'POST', url: '/admin/reload', headers: auth }],
    [['GET', '/v1/models'], { url: '/v1/models', headers: auth }],
    [['POST', '/v1/chat/completions'], { method: 'POST', url: '/v1/chat/completions', ...json(COMPLETION) }]
  ]
  return limited.map(([op, request]) => ({ name: op.join(' '), op, request, expect: 429 }))
})

await check(t, 'no index: 503 from the corpus, search, chat and health; a reload that fails is a 409', {
  API_KEYS: KEY,
  VECTOR_STORE_PATH: join('/nonexistent', 'policies.sqlite')
}, async () => [
  { name: 'documents', op: ['GET', '/documents'], request: { url: '/documents', headers: auth }, expect: 503 },
  { name: 'one document', op: ['GET', '/documents/{id}'], request: { url: '/documents/pto-policy', headers: auth }, expect: 503 },
  { name: 'search', op: [...search], request: { method: 'POST', url: '/search', ...json(QUERY) }, expect: 503 },
  { name: 'chat', op: [...chat], request: { method: 'POST', url: '/chat', ...json(QUESTION) }, expect: 503 },
  { name: 'health', op: ['GET', '/health'], request: { url: '/health' }, expect: 503 },
  { name: 'reload', op: ['POST', '/admin/reload'], request: { method: 'POST', url: '/admin/reload', headers: auth }, expect: 409 }
])

await check(t, 'under memory pressure: search and chat shed with 503 and Retry-After', {
  MEMORY_WARNING_FRACTION: 0.001,
  MEMORY_PRESSURE_FRACTION: 0.002,
  PRESSURE_SAMPLE_INTERVAL_MS: 10
}, async () => {
  await sleep(60)
  return [
    { name: 'search', op: [...search], request: { method: 'POST', url: '/search', ...json(QUERY) }, expect: 503 },
    { name: 'chat', op: [...chat], request: { method: 'POST', url: '/chat', ...json(QUESTION) }, expect: 503 },
    { name: 'health', op: ['GET', '/health'], request: { url: '/health' }, expect: 200 }
  ]
})

t.test('the named schemas\' examples validate against them', async (t) => {
  const app = await build(t, { API_KEYS: KEY })
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
