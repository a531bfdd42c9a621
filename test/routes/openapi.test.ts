import SwaggerParser from '@apidevtools/swagger-parser'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import type { AppConfig } from '../../lib/config.js'
import { repoRoot } from '../../lib/paths.js'
import { build } from '../helper.js'

interface Operation {
  operationId?: string
  tags?: string[]
  security?: Array<Record<string, string[]>>
  requestBody?: {
    content: Record<string, { schema: { required?: string[] }, example?: unknown, examples?: Record<string, { value: unknown }> }>
  }
  responses: Record<string, {
    description: string
    headers?: Record<string, unknown>
    content?: Record<string, { schema: { $ref?: string } }>
  }>
}
interface OpenApi {
  openapi: string
  info: { license?: { name: string }, contact?: { name?: string } }
  servers?: Array<{ url: string }>
  tags: Array<{ name: string }>
  components: { schemas: Record<string, { examples?: unknown[] }>, securitySchemes?: Record<string, unknown> }
  paths: Record<string, Record<string, Operation>>
}

const KEY = 'openapi-test-key'
const PROTECTED = [
  'POST /chat', 'POST /search', 'GET /documents', 'GET /documents/{id}', 'POST /admin/reload', 'GET /v1/models', 'GET /v1/models/{model}',
  'POST /v1/chat/completions'
]
const execFileAsync = promisify(execFile)

async function documentFor (t: Test, config: Partial<AppConfig>): Promise<OpenApi> {
  const app = await build(t, config)
  const res = await app.inject('/openapi.json')
  t.equal(res.statusCode, 200)
  return res.json() as OpenApi
}

function operations (doc: OpenApi): Array<[string, Operation]> {
  return Object.entries(doc.paths).flatMap(
    ([path, ops]) => Object.entries(ops).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op])
  )
}

t.test('the document is OpenAPI 3.1 with names, servers, license, contact and tags answers-first', async (t) => {
  const doc = await documentFor(t, { API_KEYS: KEY, RATE_LIMIT_MAX: 100 })
  await SwaggerParser.validate(structuredClone(doc) as never)
  t.equal(doc.openapi, '3.1.0')
  t.same(doc.servers, [{ url: '/', description: 'This service' }])
  t.equal(doc.info.license?.name, 'Apache-2.0')
  t.ok(doc.info.contact?.name, 'a contact')
  t.same(doc.tags.map((tag) => tag.name), ['answers', 'corpus', 'operations'])
  t.same(Object.fromEntries(operations(doc).map(([name, op]) => [name, op.operationId])), {
    'POST /admin/reload': 'reloadIndex',
    'POST /chat': 'askQuestion',
    'GET /documents': 'listDocuments',
    'GET /documents/{id}': 'getDocument',
    'GET /health': 'getHealth',
    'GET /health/live': 'getLiveness',
    'GET /health/ready': 'getReadiness',
    'GET /memory': 'getMemory',
    'GET /metrics': 'getMetrics',
    'POST /search': 'searchPolicies',
    'GET /stats': 'getStats',
    'GET /v1/models': 'listModels',
    'GET /v1/models/{model}': 'retrieveModel',
    'POST /v1/chat/completions': 'createChatCompletion'
  })
  for (const name of [
    'Error', 'Citation', 'ChatResponse', 'ChatEvent', 'SearchHit', 'SearchResponse', 'Document', 'DocumentList', 'DocumentDetail', 'Health',
    'Memory', 'Stats', 'ReloadResult'
  ]) {
    t.ok(doc.components.schemas[name], `components.schemas.${name}`)
  }
  for (const [name, op] of operations(doc)) {
    for (const [status, response] of Object.entries(op.responses)) {
      t.not(response.description, 'Default Response', `${name} ${status} is described`)
      const json = response.content?.['application/json']
      if (json) t.match(json.schema.$ref ?? '', /^#\/components\/schemas\//, `${name} ${status} refers to a named schema`)
    }
  }
})

t.test('fields with a default are optional; bodies have real examples; /chat documents its stream', async (t) => {
  const doc = await documentFor(t, {})
  const chat = doc.paths['/chat']?.post
  const search = doc.paths['/search']?.post
  t.same(chat?.requestBody?.content['application/json']?.schema.required, ['question'])
  t.same(search?.requestBody?.content['application/json']?.schema.required, ['query'])
  const chatExamples = Object.values(chat?.requestBody?.content['application/json']?.examples ?? {}).map((e) => e.value)
  t.match(chatExamples[0], { question: 'Can I carry unused PTO into next year?' }, 'a real policy question, first')
  t.ok(Object.keys(search?.requestBody?.content['application/json']?.examples ?? {}).length > 0, 'search has examples')
  for (const name of ['ChatResponse', 'SearchResponse', 'DocumentList', 'DocumentDetail', 'Health', 'Memory', 'Stats', 'Error']) {
    t.ok((doc.components.schemas[name]?.examples ?? []).length > 0, `${name} has an example`)
  }
  const ok = chat?.responses['200']?.content ?? {}
  t.same(Object.keys(ok), ['application/json', 'text/event-stream'])
  t.equal(ok['text/event-stream']?.schema.$ref, '#/components/schemas/ChatEvent')
  for (const event of ['ChatTokenEvent', 'ChatDoneEvent', 'ChatErrorEvent']) t.ok(doc.components.schemas[event], event)
})

t.test('with API keys, protected operations carry bearerAuth and a 401; the rest say they are open', async (t) => {
  const doc = await documentFor(t, { API_KEYS: KEY, RATE_LIMIT_MAX: 100 })
  t.ok(doc.components.securitySchemes?.bearerAuth)
  for (const [name, op] of operations(doc)) {
    if (PROTECTED.includes(name)) {
      t.same(op.security, [{ bearerAuth: [] }], `${name} needs a key`)
      t.ok(op.responses['401'], `${name} lists 401`)
    } else {
      t.same(op.security, [], `${name} is open`)
      t.notOk(op.responses['401'], `${name} lists no 401`)
    }
    const limited = !['GET /health', 'GET /health/live', 'GET /health/ready', 'GET /metrics'].includes(name)
    t.equal(op.responses['429'] !== undefined, limited, `${name} ${limited ? 'lists' : 'is exempt from'} the rate limit`)
    if (limited) t.same(
      Object.keys(op.responses['429']?.headers ?? {}),
      ['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']
    )
  }
  for (const name of ['POST /chat', 'POST /search']) {
    const op = operations(doc).find(([n]) => n === name)?.[1]
    t.same(
      Object.keys(op?.responses ?? {}),
      ['200', '400', '401', '413', '415', '429', '500', '503'],
      `${name}: every status it can return`
    )
    t.ok(op?.responses['503']?.headers?.['Retry-After'], `${name}: a shed 503 says when to retry`)
  }

  const metricsKeyed = await documentFor(t, { API_KEYS: KEY, METRICS_REQUIRE_KEY: true })
  t.same(metricsKeyed.paths['/metrics']?.get?.security, [{ bearerAuth: [] }], 'METRICS_REQUIRE_KEY protects /metrics')
  t.same(metricsKeyed.paths['/stats']?.get?.security, [{ bearerAuth: [] }], 'and /stats')

  const open = await documentFor(t, {})
  t.notOk(open.components.securitySchemes?.bearerAuth, 'without keys there is no scheme to authorize with')
  t.ok(operations(open).every(([, op]) => op.security?.length === 0), 'and every operation is open')
})

t.test('/docs: swagger-ui\'s page and assets (built on the first request), HEAD with GET\'s length, the service\'s own 404 for a missing ' +
  'file', async (
  t
) => {
  const app = await build(t)
  const [page, css, cssHead, missing] = [
    await app.inject('/docs/'), await app.inject('/docs/static/swagger-ui.css'),
    await app.inject({ method: 'HEAD', url: '/docs/static/swagger-ui.css' }), await app.inject('/docs/static/missing.js')
  ]
  t.equal(page.statusCode, 200)
  t.match(page.body, /swagger-initializer\.js/)
  t.match(page.headers['content-security-policy'], /default-src 'self'/, 'swagger-ui\'s own policy')
  t.equal(css.statusCode, 200)
  t.match(css.headers['content-type'], /text\/css/)
  t.equal(cssHead.statusCode, 200)
  t.equal(cssHead.headers['content-length'], String(css.rawPayload.length), 'HEAD says the length of what GET sends')
  t.equal(cssHead.body, '')
  t.equal(missing.statusCode, 404)
  t.same(missing.json(), { statusCode: 404, error: 'Not Found', message: 'Route GET /docs/static/missing.js not found' })
  const redirect = await app.inject('/docs/static/index.html')
  t.equal(redirect.statusCode, 302)
  t.equal(redirect.headers.location, '/docs/')
  t.equal(redirect.headers['content-type'], undefined, 'an empty redirect has no content type')
})

t.test('Redocly (recommended) and Spectral (spectral:oas) find nothing to report', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'policy-rag-openapi-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const bin = (name: string): string => join(repoRoot, 'node_modules', '.bin', name)
  // Offline and quiet: no telemetry, no update check.
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' }
  const configs: Array<[string, Partial<AppConfig>]> = [
    ['keys and rate limit', { API_KEYS: KEY, RATE_LIMIT_MAX: 100 }],
    ['keys, metrics protected', { API_KEYS: KEY, METRICS_REQUIRE_KEY: true, RATE_LIMIT_MAX: 100 }],
    ['open, no rate limit', {}]
  ]
  const files = configs.map(([label]) => join(dir, `${label.replace(/\W+/g, '-')}.json`))
  for (const [i, [, config]] of configs.entries()) await writeFile(files[i] as string, JSON.stringify(await documentFor(t, config)))

  // One run of each linter over the three documents (each start costs about a second), both at once.
  const [redocly, spectral] = await Promise.all([
    execFileAsync(bin('redocly'), ['lint', ...files, '--config', join(repoRoot, 'redocly.yaml'), '--format', 'json'], { env, cwd: dir })
      .catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' })),
    execFileAsync(
      bin('spectral'),
      ['lint', ...files, '--ruleset', join(repoRoot, '.spectral.yaml'), '--format', 'json', '--quiet'],
      { env, cwd: dir }
    )
      .catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }))
  ])
  // Redocly prints one JSON report per document, back to back, in the order given.
  const reports = redocly.stdout.split(/(?<=\})\s*(?=\{\s*"totals")/).map(
    (text) => JSON.parse(text) as { totals: { errors: number, warnings: number }, problems: Array<{ ruleId: string, message: string }> }
  )
  const problems = JSON.parse(spectral.stdout || '[]') as Array<{ code: string, message: string, source?: string }>
  for (const [i, [label]] of configs.entries()) {
    const report = reports[i] ?? { totals: { errors: -1, warnings: -1 }, problems: [] }
    t.same(
      report.totals,
      { ...report.totals, errors: 0, warnings: 0 },
      `${label}: Redocly ${JSON.stringify(report.problems.map((p) => `${p.ruleId}: ${p.message}`))}`
    )
    const own = problems.filter((p) => p.source === files[i])
    t.same(own.map((p) => `${p.code}: ${p.message}`), [], `${label}: Spectral`)
  }
  t.equal(reports.length, files.length, 'Redocly reported on every document')
  t.same(problems.filter((p) => !files.includes(p.source ?? '')), [], 'every Spectral problem names one of the documents')
})
