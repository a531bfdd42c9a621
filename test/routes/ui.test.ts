import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import Fastify from 'fastify'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import ui, { PAGE_CSP, PAGE_FILES, publicDir } from '../../routes/ui.js'
import { build } from '../helper.js'

const EXPECTED_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

function attributeValues (html: string, name: string): string[] {
  return [...html.matchAll(new RegExp(`\\s${name}\\s*=\\s*"([^"]*)"`, 'gi'))].map((m) => m[1] ?? '')
}

// One app for the cases that need no particular setting and change nothing in it: each build loads the model anew.
const plain = await build(t)

t.test('the service serves the chat page at /', async (t) => {
  const app = plain

  const page = await app.inject({ url: '/' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.equal(page.headers['content-security-policy'], EXPECTED_CSP)
  t.equal(page.headers['x-content-type-options'], 'nosniff')
  t.match(page.body, /<textarea id="question"/)
  t.match(page.body, /href="\/docs"/)

  const head = await app.inject({ method: 'HEAD', url: '/' })
  t.equal(head.statusCode, 200)
  t.equal(head.headers['content-security-policy'], EXPECTED_CSP)
})

t.test('every asset the page references is served by the service, with the same policy', async (t) => {
  const app = plain
  const html = (await app.inject({ url: '/' })).body
  const assets = [...attributeValues(html, 'src'), ...attributeValues(html, 'href')].filter((u) => u !== '/docs' && !u.startsWith('#'))
  t.same(assets.sort(), ['/app.js', '/favicon.svg', '/style.css'])

  const types: Record<string, RegExp> = { '/app.js': /javascript/, '/style.css': /^text\/css/, '/favicon.svg': /^image\/svg\+xml/ }
  for (const asset of assets) {
    const res = await app.inject({ url: asset })
    t.equal(res.statusCode, 200, asset)
    t.match(res.headers['content-type'], types[asset] ?? /./, asset)
    t.equal(res.headers['content-security-policy'], EXPECTED_CSP, asset)
  }
})

t.test('the policy stays on the page: /docs keeps its own, API routes and 404s get none of it', async (t) => {
  const app = plain
  const docs = await app.inject({ url: '/docs' })
  t.equal(docs.statusCode, 200)
  t.not(docs.headers['content-security-policy'], EXPECTED_CSP)

  const missing = await app.inject({ url: '/no-such-page' })
  t.equal(missing.statusCode, 404)
  t.match(missing.headers['content-type'], /^application\/json/)
  t.not(missing.headers['content-security-policy'], EXPECTED_CSP)
})

t.test('the page and its files stay out of the OpenAPI document', async (t) => {
  const app = plain
  const spec = (await app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>()
  for (const path of ['/', '/index.html', '/app.js', '/style.css', '/favicon.svg']) {
    t.notOk(Object.hasOwn(spec.paths, path), `${path} is not documented`)
  }
})

t.test('the page loads nothing from elsewhere and has nothing inline for the policy to block', async (t) => {
  const html = await readFile(join(publicDir, 'index.html'), 'utf8')
  for (const url of [...attributeValues(html, 'src'), ...attributeValues(html, 'href'), ...attributeValues(html, 'action')]) {
    t.match(url, /^(\/(?!\/)|#)/, `${url} is a same-origin path`)
  }
  t.notMatch(html, /(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i, 'no absolute URL anywhere in the HTML')
  t.notMatch(html, /<style/i, 'no inline stylesheet')
  t.notMatch(html, /\sstyle\s*=/i, 'no style attributes')
  t.notMatch(html, /\son[a-z]+\s*=/i, 'no inline event handlers')
  for (const script of html.match(/<script[^>]*>/gi) ?? []) t.match(script, /\ssrc="\//, 'scripts are files')

  const css = await readFile(join(publicDir, 'style.css'), 'utf8')
  t.notMatch(css, /@import|url\(/i, 'the stylesheet fetches nothing')
})

t.test('the script never turns data into HTML', async (t) => {
  const js = await readFile(join(publicDir, 'app.js'), 'utf8')
  for (const sink of [
    'innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'createContextualFragment', 'eval(', 'new Function', 'DOMParser'
  ]) {
    t.notOk(js.includes(sink), `app.js does not use ${sink}`)
  }
  t.notMatch(js, /https?:\/\//, 'app.js only talks to its own origin')
})

t.test('on a bare Fastify with a global @fastify/helmet, the page still gets its own policy', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(helmet)
  await app.register(ui)
  app.get('/elsewhere', async () => ({ ok: true }))

  const page = await app.inject({ url: '/' })
  t.equal(page.statusCode, 200)
  t.equal(page.headers['content-security-policy'], PAGE_CSP)
  t.equal(PAGE_CSP, EXPECTED_CSP)

  const elsewhere = await app.inject({ url: '/elsewhere' })
  t.match(elsewhere.headers['content-security-policy'], /default-src 'self'/, 'helmet still governs the other routes')
})

t.test('the page files are exempt from the rate limit; other routes are not', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(rateLimit, { max: 1, timeWindow: 60_000 })
  await app.register(ui)
  app.get('/limited', async () => ({ ok: true }))

  for (let i = 0; i < 3; i++) {
    for (const url of Object.keys(PAGE_FILES)) t.equal((await app.inject({ url })).statusCode, 200, `${url}, request ${i + 1}`)
  }
  t.equal((await app.inject({ url: '/limited' })).statusCode, 200)
  t.equal((await app.inject({ url: '/limited' })).statusCode, 429)
})
