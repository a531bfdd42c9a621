import t from 'tap'
import { buildApp } from '../../app.js'
import { makeKeyChecker, parseApiKeys } from '../../lib/ops/api-keys.js'
import { clientAddress, parseTrustProxy } from '../../lib/ops/client-address.js'
import { ConfigError } from '../../lib/config.js'
import { WindowCounter } from '../../lib/ops/window-counter.js'
import { build, sharedEmbedder } from '../helper.js'

t.test('API key parsing and checking', async (t) => {
  t.same(parseApiKeys(' a , b,,c '), ['a', 'b', 'c'])
  const check = makeKeyChecker(['alpha-key', 'beta-key'])
  t.ok(check('Bearer alpha-key'))
  t.ok(check('bearer beta-key'))
  t.notOk(check('Bearer alpha-ke'))
  t.notOk(check('alpha-key'), 'the Bearer scheme is required')
  t.notOk(check(undefined))
  t.notOk(check('Bearer '))
  t.notOk(makeKeyChecker([])('Bearer '), 'no keys: nothing matches, not even an empty key')
})

t.test('with API_KEYS set, search/chat/documents need a bearer key; health and metrics stay open', async (t) => {
  const app = await build(t, { API_KEYS: 'k1,k2' }, { embedder: sharedEmbedder() })
  for (const req of [
    { method: 'POST' as const, url: '/search', payload: { query: 'pto' } },
    { method: 'POST' as const, url: '/chat', payload: { question: 'How much PTO do I get?' } },
    { method: 'GET' as const, url: '/documents' },
    { method: 'GET' as const, url: '/documents/pto-policy' }
  ]) {
    const denied = await app.inject(req)
    t.equal(denied.statusCode, 401, `${req.url} without a key`)
    t.match(denied.json(), { statusCode: 401, error: 'Unauthorized', message: /Bearer/ })
    t.equal(denied.headers['www-authenticate'], 'Bearer')
    const wrong = await app.inject({ ...req, headers: { authorization: 'Bearer nope' } })
    t.equal(wrong.statusCode, 401, `${req.url} with a wrong key`)
    const ok = await app.inject({ ...req, headers: { authorization: 'Bearer k2' } })
    t.equal(ok.statusCode, 200, `${req.url} with a key`)
  }
  t.equal((await app.inject('/health')).statusCode, 200)
  t.equal((await app.inject('/metrics')).statusCode, 200)
})

t.test('METRICS_REQUIRE_KEY protects /metrics and /stats too', async (t) => {
  const app = await build(t, { API_KEYS: 'k1', METRICS_REQUIRE_KEY: true }, { embedder: sharedEmbedder() })
  t.equal((await app.inject('/metrics')).statusCode, 401)
  t.equal((await app.inject('/stats')).statusCode, 401)
  t.equal((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer k1' } })).statusCode, 200)
  t.equal((await app.inject('/health')).statusCode, 200)
})

t.test('rate limiting per client, with health exempt', async (t) => {
  const app = await build(t, { RATE_LIMIT_MAX: 3, RATE_LIMIT_WINDOW_MS: 60000 }, { embedder: sharedEmbedder() })
  const search = { method: 'POST' as const, url: '/search', payload: { query: 'pto' } }
  const codes: number[] = []
  for (let i = 0; i < 5; i++) codes.push((await app.inject(search)).statusCode)
  t.same(codes, [200, 200, 200, 429, 429])
  const limited = await app.inject(search)
  t.equal(limited.json().statusCode, 429)
  t.ok(limited.headers['retry-after'], 'says when to come back')
  const other = await app.inject({ ...search, remoteAddress: '10.9.9.9' })
  t.equal(other.statusCode, 200, 'another client has its own budget')
  for (let i = 0; i < 6; i++) t.equal((await app.inject('/health')).statusCode, 200)
})

t.test('cheap routes and unknown paths have a budget of their own, apart from /chat and /search', async (t) => {
  const app = await build(t, { RATE_LIMIT_MAX: 2, RATE_LIMIT_LIGHT_MAX: 4 }, { embedder: sharedEmbedder() })
  const search = { method: 'POST' as const, url: '/search', payload: { query: 'pto' } }
  t.same(
    [(await app.inject(search)).statusCode, (await app.inject(search)).statusCode, (await app.inject(search)).statusCode],
    [200, 200, 429]
  )
  for (const url of ['/memory', '/stats', '/openapi.json']) t.equal(
    (await app.inject(url)).statusCode,
    200,
    `${url} still answers once /search is spent`
  )
  const unknown = [(await app.inject('/no-such-route')).statusCode, (await app.inject('/wp-login.php?x=1')).statusCode]
  t.same(unknown, [404, 429], 'unknown paths spend the light budget too')
  t.equal((await app.inject({ url: '/no-such-route', remoteAddress: '10.9.9.9' })).statusCode, 404, 'per client')
})

t.test('a forged X-Forwarded-For gets no bucket of its own', async (t) => {
  const search = (headers: Record<string, string>, remoteAddress = '127.0.0.1') =>
    ({ method: 'POST' as const, url: '/search', payload: { query: 'pto' }, headers, remoteAddress })
  const rotate = async (
    app: Awaited<ReturnType<typeof build>>,
    headersFor: (i: number) => Record<string, string>,
    remoteAddress?: string
  ): Promise<number[]> => {
    const codes: number[] = []
    for (let i = 0; i < 5; i++) codes.push((await app.inject(search(headersFor(i), remoteAddress))).statusCode)
    return codes
  }

  const direct = await build(t, { RATE_LIMIT_MAX: 3 }, { embedder: sharedEmbedder() })
  t.same(
    await rotate(direct, (i) => ({ 'x-forwarded-for': `10.0.0.${i}` })),
    [200, 200, 200, 429, 429],
    'no proxy trusted: the socket decides'
  )

  // One proxy in front (TRUST_PROXY=1): it appends the address it saw, and only that entry counts.
  const behindOne = await build(t, { RATE_LIMIT_MAX: 3, TRUST_PROXY: '1' }, { embedder: sharedEmbedder() })
  t.same(await rotate(behindOne, (i) => ({ 'x-forwarded-for': `10.0.0.${i}, 203.0.113.7` }), '172.16.0.2'), [200, 200, 200, 429, 429],
    'leftmost entries are the client\'s own writing')
  t.equal(
    (await behindOne.inject(search({ 'x-forwarded-for': '203.0.113.8' }, '172.16.0.2'))).statusCode,
    200,
    'another real client has its own budget'
  )

  const listed = await build(t, { RATE_LIMIT_MAX: 3, TRUST_PROXY: '172.16.0.0/16' }, { embedder: sharedEmbedder() })
  t.same(await rotate(listed, (i) => ({ 'x-forwarded-for': `10.0.0.${i}, 203.0.113.9` }), '172.16.5.5'), [200, 200, 200, 429, 429])
  t.same(await rotate(listed, (i) => ({ 'x-forwarded-for': `10.1.0.${i}` }), '198.51.100.1'), [200, 200, 200, 429, 429],
    'a peer that is not a listed proxy is the client, whatever it forwards')
})

t.test('Fly-Client-IP is honoured only with TRUST_PROXY=fly', async (t) => {
  const search = (headers: Record<string, string>) => ({ method: 'POST' as const, url: '/search', payload: { query: 'pto' }, headers })
  const plain = await build(t, { RATE_LIMIT_MAX: 2 }, { embedder: sharedEmbedder() })
  const codes: number[] = []
  for (let i = 0; i < 3; i++) codes.push((await plain.inject(search({ 'fly-client-ip': `198.51.100.${i}` }))).statusCode)
  t.same(codes, [200, 200, 429], 'not configured: the header is ignored')

  const fly = await build(t, { RATE_LIMIT_MAX: 2, TRUST_PROXY: 'fly' }, { embedder: sharedEmbedder() })
  const viaFly: number[] = []
  for (let i = 0; i < 3; i++) viaFly.push(
    (await fly.inject(search({ 'fly-client-ip': '198.51.100.1', 'x-forwarded-for': `10.0.0.${i}` }))).statusCode
  )
  t.same(viaFly, [200, 200, 429], 'one client behind fly, whatever X-Forwarded-For says')
  t.equal((await fly.inject(search({ 'fly-client-ip': '198.51.100.2' }))).statusCode, 200, 'another fly client has its own budget')
})

t.test('TRUST_PROXY is validated', async (t) => {
  t.same(parseTrustProxy(''), { mode: 'off' })
  t.same(parseTrustProxy('FLY'), { mode: 'fly' })
  t.same(parseTrustProxy('2'), { mode: 'hops', hops: 2 })
  t.same(parseTrustProxy('10.0.0.1, fd00::/8'), { mode: 'addresses', addresses: ['10.0.0.1', 'fd00::/8'] })
  for (const bad of ['true', '10.0.0.1/33', 'proxy.example', '99']) t.throws(() => parseTrustProxy(bad), ConfigError, bad)
  await t.rejects(buildApp({ env: { TRUST_PROXY: 'true' }, logger: false }), ConfigError, 'the server refuses to start with it')
  t.equal(
    clientAddress({ mode: 'fly' }, { ip: '172.16.0.2', headers: { 'fly-client-ip': 'not an address' } }),
    '172.16.0.2',
    'a malformed header is not believed'
  )
})

t.test('failed API keys are rate-limited: they spend the budget, and past RATE_LIMIT_AUTH_FAILURES every route says 429', async (t) => {
  const guessing = await build(t, { API_KEYS: 'k1', RATE_LIMIT_MAX: 3, RATE_LIMIT_AUTH_FAILURES: 0 }, { embedder: sharedEmbedder() })
  const wrong = { method: 'POST' as const, url: '/search', payload: { query: 'pto' }, headers: { authorization: 'Bearer guess' } }
  const codes: number[] = []
  for (let i = 0; i < 5; i++) codes.push((await guessing.inject(wrong)).statusCode)
  t.same(codes, [401, 401, 401, 429, 429], 'the limiter runs before the key check')

  const app = await build(t, { API_KEYS: 'k1', RATE_LIMIT_MAX: 100, RATE_LIMIT_AUTH_FAILURES: 3 }, { embedder: sharedEmbedder() })
  const failures: number[] = []
  for (let i = 0; i < 4; i++) failures.push(
    (await app.inject({ url: '/documents', headers: { authorization: `Bearer guess-${i}` } })).statusCode
  )
  t.same(failures, [401, 401, 401, 429])
  const locked = await app.inject({ url: '/documents', headers: { authorization: 'Bearer k1' } })
  t.equal(locked.statusCode, 429, 'even the right key waits: a guesser learns nothing more in this window')
  t.match(locked.json(), { statusCode: 429, code: 'POLICY_RAG_AUTH_RATE_LIMITED', message: /failed API-key attempts/ })
  t.ok(Number(locked.headers['retry-after']) > 0)
  t.equal(
    (await app.inject({ url: '/documents', headers: { authorization: 'Bearer k1' }, remoteAddress: '10.9.9.9' })).statusCode,
    200,
    'other clients are not locked out'
  )
  t.equal((await app.inject('/health')).statusCode, 200, 'health stays exempt')
})

t.test('rate limiting comes before load shedding: a flood gets 429, not everyone 503', async (t) => {
  const app = await build(
    t,
    { MEMORY_WARNING_FRACTION: 0.001, MEMORY_PRESSURE_FRACTION: 0.002, PRESSURE_SAMPLE_INTERVAL_MS: 10, RATE_LIMIT_MAX: 2 },
    { embedder: sharedEmbedder() }
  )
  await app.ready()
  await new Promise((resolve) => setTimeout(resolve, 60))
  const search = { method: 'POST' as const, url: '/search', payload: { query: 'pto' } }
  const codes: number[] = []
  for (let i = 0; i < 4; i++) codes.push((await app.inject(search)).statusCode)
  t.same(codes, [503, 503, 429, 429], 'shed while within its limit, refused cheaply past it')
})

t.test('window counter: counts per key, resets after the window, forgets the oldest keys', async (t) => {
  let now = 0
  const counter = new WindowCounter({ windowMs: 1000, maxKeys: 2, now: () => now })
  t.equal(counter.add('a'), 1)
  t.equal(counter.add('a'), 2)
  t.same(counter.peek('a'), { count: 2, resetInMs: 1000 })
  now = 999
  t.same(counter.peek('a'), { count: 2, resetInMs: 1 })
  now = 1000
  t.same(counter.peek('a'), { count: 0, resetInMs: 0 })
  t.equal(counter.add('a'), 1)
  counter.add('b')
  counter.add('c')
  t.equal(counter.peek('a').count, 0, 'bounded memory')
})

t.test('security headers, body limit, CORS off by default and configurable', async (t) => {
  const app = await build(t, { BODY_LIMIT_BYTES: 2048 }, { embedder: sharedEmbedder() })
  const res = await app.inject('/documents')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.ok(res.headers['strict-transport-security'])
  t.equal(res.headers['access-control-allow-origin'], undefined, 'no CORS unless configured')
  const probe = await app.inject('/health')
  t.equal(probe.headers['x-content-type-options'], 'nosniff', 'the platform probe gets them too')
  t.equal(probe.headers['x-frame-options'], 'SAMEORIGIN')
  t.equal(probe.headers['content-security-policy'], undefined, 'JSON needs no CSP; pages set their own')
  const big = await app.inject({ method: 'POST', url: '/search', payload: { query: 'x'.repeat(4000) } })
  t.equal(big.statusCode, 413)
  t.equal(big.json().statusCode, 413)

  const corsApp = await build(t, { CORS_ORIGIN: 'https://intranet.example' }, { embedder: sharedEmbedder() })
  const preflight = await corsApp.inject({
    method: 'OPTIONS',
    url: '/search',
    headers: { origin: 'https://intranet.example', 'access-control-request-method': 'POST' }
  })
  t.equal(preflight.headers['access-control-allow-origin'], 'https://intranet.example')
  const foreign = await corsApp.inject({ url: '/health', headers: { origin: 'https://evil.example' } })
  t.not(foreign.headers['access-control-allow-origin'], 'https://evil.example')
})
