import t from 'tap'
import { makeKeyChecker, parseApiKeys } from '../../lib/api-keys.js'
import { build } from '../helper.js'

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
  const app = await build(t, { API_KEYS: 'k1,k2' })
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
  const app = await build(t, { API_KEYS: 'k1', METRICS_REQUIRE_KEY: true })
  t.equal((await app.inject('/metrics')).statusCode, 401)
  t.equal((await app.inject('/stats')).statusCode, 401)
  t.equal((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer k1' } })).statusCode, 200)
  t.equal((await app.inject('/health')).statusCode, 200)
})

t.test('rate limiting per client, with health exempt', async (t) => {
  const app = await build(t, { RATE_LIMIT_MAX: 3, RATE_LIMIT_WINDOW_MS: 60000 })
  const codes: number[] = []
  for (let i = 0; i < 5; i++) codes.push((await app.inject('/documents')).statusCode)
  t.same(codes, [200, 200, 200, 429, 429])
  const limited = await app.inject('/documents')
  t.equal(limited.json().statusCode, 429)
  t.ok(limited.headers['retry-after'], 'says when to come back')
  const other = await app.inject({ url: '/documents', remoteAddress: '10.9.9.9' })
  t.equal(other.statusCode, 200, 'another client has its own budget')
  for (let i = 0; i < 6; i++) t.equal((await app.inject('/health')).statusCode, 200)
})

t.test('security headers, body limit, CORS off by default and configurable', async (t) => {
  const app = await build(t, { BODY_LIMIT_BYTES: 2048 })
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

  const corsApp = await build(t, { CORS_ORIGIN: 'https://intranet.example' })
  const preflight = await corsApp.inject({ method: 'OPTIONS', url: '/search', headers: { origin: 'https://intranet.example', 'access-control-request-method': 'POST' } })
  t.equal(preflight.headers['access-control-allow-origin'], 'https://intranet.example')
  const foreign = await corsApp.inject({ url: '/health', headers: { origin: 'https://evil.example' } })
  t.not(foreign.headers['access-control-allow-origin'], 'https://evil.example')
})
