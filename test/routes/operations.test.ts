import t from 'tap'
import { build, captureLogs, sharedEmbedder } from '../helper.js'

// One app for the cases that need no particular setting and change nothing in it: each build loads the model anew.
const plain = await build(t)
const noIndex = await build(t, { VECTOR_STORE_PATH: '/nonexistent/policies.sqlite' })

t.test('GET /health reports every component honestly without loading the model; no LLM configured is healthy', async (t) => {
  const app = plain
  const res = await app.inject('/health')
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.match(body, {
    status: 'healthy',
    version: /^\d+\.\d+\.\d+/,
    components: {
      vector_store: 'operational',
      embedding_service: 'not_loaded',
      llm_service: 'not_configured',
      memory_manager: 'operational'
    },
    performance: { memory_usage_mb: Number, response_time_avg_ms: Number, uptime_hours: Number }
  })
  t.equal(app.embedder.loaded, false, 'health did not load the model')
})

t.test('GET /health is unhealthy (503) when the index cannot be read', async (t) => {
  const app = noIndex
  const res = await app.inject('/health')
  t.equal(res.statusCode, 503)
  t.equal(res.json().status, 'unhealthy')
  t.equal(res.json().components.vector_store, 'unavailable')
})

t.test('GET /health says healthy when an LLM is configured and everything works', async (t) => {
  const app = await build(t, { LLM_BASE_URL: 'http://127.0.0.1:9/v1' }, { embedder: sharedEmbedder() })
  const body = (await app.inject('/health')).json()
  t.equal(body.components.llm_service, 'operational')
  t.equal(body.status, 'healthy')
})

t.test('GET /health/live answers while the process runs, whatever the components say', async (t) => {
  const app = await build(t, { VECTOR_STORE_PATH: '/nonexistent/policies.sqlite', API_KEYS: 'k1' }, { embedder: sharedEmbedder() })
  const res = await app.inject('/health/live')
  t.equal(res.statusCode, 200, 'no key needed, and an unreadable index is not a reason to restart')
  t.same(res.json(), { status: 'alive' })
})

t.test('GET /health/ready: 200 when search and chat would be answered, 503 with the reason otherwise', async (t) => {
  const app = await build(t, { API_KEYS: 'k1' }, { embedder: sharedEmbedder() })
  const ready = await app.inject('/health/ready')
  t.equal(ready.statusCode, 200, 'no key needed')
  t.same(ready.json(), { status: 'ready' })

  const missing = await noIndex.inject('/health/ready')
  t.equal(missing.statusCode, 503)
  t.same(missing.json(), { status: 'not_ready', reason: 'index_unavailable' })

  const pressured = await build(
    t,
    { MEMORY_WARNING_FRACTION: 0.001, MEMORY_PRESSURE_FRACTION: 0.002, PRESSURE_SAMPLE_INTERVAL_MS: 10 },
    { embedder: sharedEmbedder() }
  )
  await pressured.ready()
  let shed = await pressured.inject('/health/ready')
  for (let i = 0; i < 50 && shed.statusCode === 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    shed = await pressured.inject('/health/ready')
  }
  t.equal(shed.statusCode, 503)
  t.same(shed.json(), { status: 'not_ready', reason: 'memory_pressure' })
  t.equal((await pressured.inject('/health/live')).statusCode, 200, 'still alive')
  t.equal((await pressured.inject('/health')).json().status, 'degraded')
})

t.test('the probes are not rate-limited', async (t) => {
  const app = await build(t, { RATE_LIMIT_MAX: 2 }, { embedder: sharedEmbedder() })
  for (const url of ['/health', '/health/live', '/health/ready']) {
    const codes = new Set<number>()
    for (let i = 0; i < 5; i++) codes.add((await app.inject(url)).statusCode)
    t.same([...codes], [200], `${url}: never 429`)
  }
})

t.test('one log line per request, except successful probes (/health, /metrics), which log at debug', async (t) => {
  const completed = (lines: string[]) => lines.map(
    (l) => JSON.parse(l) as { msg: string, route?: string, status?: number }
  ).filter((l) => l.msg === 'request completed')
  const logs = captureLogs()
  const app = await build(t, { LOG_LEVEL: 'info' }, { logger: true, logStream: logs.stream, embedder: sharedEmbedder() })
  await app.inject('/health')
  await app.inject('/metrics')
  await app.inject('/documents')
  t.same(completed(logs.lines()).map((l) => [l.route, l.status]), [['/documents', 200]])

  const broken = captureLogs()
  const unhealthy = await build(
    t,
    { LOG_LEVEL: 'info', VECTOR_STORE_PATH: '/nonexistent/policies.sqlite' },
    { logger: true, logStream: broken.stream, embedder: sharedEmbedder() }
  )
  await unhealthy.inject('/health')
  t.same(completed(broken.lines()).map((l) => [l.route, l.status]), [['/health', 503]], 'a failing probe is logged')

  const verbose = captureLogs()
  const debug = await build(t, { LOG_LEVEL: 'debug' }, { logger: true, logStream: verbose.stream, embedder: sharedEmbedder() })
  await debug.inject('/health')
  t.same(completed(verbose.lines()).map((l) => [l.route, l.status]), [['/health', 200]], 'LOG_LEVEL=debug shows every probe')
})

t.test('request log lines carry no query strings and no ids from paths', async (t) => {
  const logs = captureLogs()
  const app = await build(t, { LOG_LEVEL: 'info' }, { logger: true, logStream: logs.stream, embedder: sharedEmbedder() })
  await app.inject({ method: 'POST', url: '/search?api_key=k1', payload: { query: 'pto' } })
  await app.inject('/documents/jane.roe@example.com')
  await app.inject('/nothing/here/jane%40example.com?token=secret')
  const lines = logs.lines().map(
    (l) => JSON.parse(l) as { msg: string, route?: string, path?: string, status?: number }
  ).filter((l) => l.msg === 'request completed')
  t.same(lines.map((l) => [l.route, l.path, l.status]), [
    ['/search', '/search', 200],
    ['/documents/:id', '/documents/:id', 404],
    ['unmatched', '/nothing/here/[EMAIL]', 404]
  ])
  t.notMatch(logs.text(), /api_key|k1|jane|secret|token/, 'nowhere in the log')
})

t.test('GET /health reports the RSS the memory monitor sampled, close to the live figure', async (t) => {
  // Its own app: the shared one sampled before the other cases' apps grew this process.
  const app = await build(t, {}, { embedder: sharedEmbedder() })
  const body = (await app.inject('/health')).json()
  const live = process.memoryUsage.rss() / 1048576
  t.ok(app.memoryMonitor.sampledRssBytes() > 0)
  t.ok(
    Math.abs(body.performance.memory_usage_mb - live) < 50,
    `${body.performance.memory_usage_mb} MB reported, ${live.toFixed(1)} MB live`
  )
})

t.test('GET /memory has every field with real values', async (t) => {
  const app = await build(t, { MEMORY_LIMIT_MB: 512 })
  const res = await app.inject('/memory')
  t.equal(res.statusCode, 200)
  const m = res.json()
  for (const field of ['memory_usage_mb', 'memory_available_mb', 'memory_utilization', 'memory_limit_mb', 'limit_source', 'heap_used_mb',
    'heap_total_mb', 'external_mb', 'gc_collections', 'embedding_model', 'embedding_model_loaded', 'vector_db_size_mb']) {
    t.ok(field in m, field)
  }
  const rssMb = process.memoryUsage().rss / 1024 / 1024
  t.ok(Math.abs(m.memory_usage_mb - rssMb) < 8, `RSS ${m.memory_usage_mb} MB matches process.memoryUsage ${rssMb.toFixed(1)} MB`)
  t.ok(m.memory_limit_mb <= 512)
  t.ok(m.memory_utilization > 0 && m.memory_utilization <= 1)
  t.ok(Math.abs(m.memory_available_mb - (m.memory_limit_mb - m.memory_usage_mb)) < 1)
  t.ok(m.heap_used_mb > 0 && m.heap_used_mb <= m.heap_total_mb)
  t.ok(m.vector_db_size_mb > 0, 'index size is read from the file')
  t.match(m.embedding_model, /universal-sentence-encoder/i)
})

t.test('GET /metrics is Prometheus text with request counts and latency by route and status', async (t) => {
  const app = plain
  await app.inject('/health')
  await app.inject('/nope')
  const res = await app.inject('/metrics')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain/)
  t.match(res.body, /# TYPE process_resident_memory_bytes gauge/)
  t.match(res.body, /^policy_rag_http_requests_total\{method="GET",route="\/health",status_code="200"\} \d+/m)
  t.match(res.body, /^policy_rag_http_requests_total\{method="GET",route="unmatched",status_code="404"\} \d+/m)
  t.match(res.body, /^policy_rag_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/health",status_code="200"\}/m)
})

t.test('GET /openapi.json is an OpenAPI 3 document listing every route with schemas', async (t) => {
  const app = plain
  const res = await app.inject('/openapi.json')
  t.equal(res.statusCode, 200)
  const doc = res.json()
  t.match(doc.openapi, /^3\./)
  const expected: Array<[string, string]> = [
    ['/health', 'get'], ['/memory', 'get'], ['/metrics', 'get'], ['/stats', 'get'], ['/documents', 'get'], ['/documents/{id}', 'get'],
    ['/search', 'post'], ['/chat', 'post']
  ]
  for (const [path, method] of expected) {
    const op = doc.paths[path]?.[method]
    t.ok(op, `${method.toUpperCase()} ${path} is documented`)
    t.ok(op?.responses?.['200'], `${path} has a 200 response schema`)
  }
  t.ok(doc.paths['/search'].post.requestBody, 'POST /search has a request body schema')
  t.ok(doc.paths['/search'].post.responses['400'], 'POST /search documents its 400')
  const docs = await app.inject('/docs/')
  t.equal(docs.statusCode, 200)
  t.match(docs.headers['content-type'], /text\/html/)
})

t.test('errors are JSON in Fastify\'s shape', async (t) => {
  const app = plain
  const notFound = await app.inject('/no/such/route')
  t.equal(notFound.statusCode, 404)
  t.match(notFound.json(), { statusCode: 404, error: 'Not Found', message: /no\/such\/route/ })

  const badJson = await app.inject({
    method: 'POST',
    url: '/search',
    headers: { 'content-type': 'application/json' },
    payload: '{"query": '
  })
  t.equal(badJson.statusCode, 400)
  t.match(badJson.json(), { statusCode: 400, error: 'Bad Request', message: String })

  const badField = await app.inject({ method: 'POST', url: '/search', payload: { query: 'pto', top_k: 99 } })
  t.equal(badField.statusCode, 400)
  t.match(badField.json().message, /top_k/)

  const unknownField = await app.inject({ method: 'POST', url: '/search', payload: { query: 'pto', colour: 'red' } })
  t.equal(unknownField.statusCode, 400, 'unknown fields are rejected, not silently dropped')

  const wrongType = await app.inject({ method: 'POST', url: '/search', headers: { 'content-type': 'text/plain' }, payload: 'pto' })
  t.equal(wrongType.statusCode, 415)
  t.equal(wrongType.json().statusCode, 415)
})
