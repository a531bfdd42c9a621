import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { defaultIndexPath } from '../../lib/paths.js'
import { ServerProcess } from '../../tools/bench-util.js'
import { build, captureLogs, sharedEmbedder } from '../helper.js'

const dir = mkdtempSync(join(tmpdir(), 'admin-reload-test-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const KEY = 'admin-test-key'
const auth = { authorization: `Bearer ${KEY}` }

/** A copy of the committed index at a fresh path, to be replaced during the test. */
function indexCopy (name: string): string {
  const path = join(dir, name)
  copyFileSync(defaultIndexPath, path)
  return path
}

/** Replaces the file as index:build does: a complete new file renamed over the old one. */
function replaceWith (path: string, content: Buffer | ((tmp: string) => void)): void {
  const tmp = `${path}.${process.pid}.new`
  if (Buffer.isBuffer(content)) writeFileSync(tmp, content)
  else content(tmp)
  renameSync(tmp, path)
}

const REVISED = 'Paid Time Off (revised)'

/** The committed index with one policy retitled: a valid new index whose contents differ visibly. */
function revisedIndex (tmp: string): void {
  copyFileSync(defaultIndexPath, tmp)
  const db = new Database(tmp)
  const changed = db.prepare('UPDATE documents SET title = ? WHERE id = ?').run(REVISED, 'pto-policy').changes
  db.close()
  if (changed !== 1) throw new Error('no pto-policy document in the committed index')
}

const searchBody = { query: 'how many vacation days do I get', mode: 'hybrid' }

t.test('without API_KEYS there is no admin route at all', async (t) => {
  const app = await build(t, {}, { embedder: sharedEmbedder() })
  const res = await app.inject({ method: 'POST', url: '/admin/reload' })
  t.equal(res.statusCode, 404)
  t.match(res.json(), { statusCode: 404, error: 'Not Found' })
  const spec = (await app.inject('/openapi.json')).json() as { paths: Record<string, unknown> }
  t.notOk('/admin/reload' in spec.paths)
})

t.test('POST /admin/reload needs the key and is described in OpenAPI', async (t) => {
  const app = await build(t, { API_KEYS: KEY, VECTOR_STORE_PATH: indexCopy('auth.sqlite') }, { embedder: sharedEmbedder() })
  const denied = await app.inject({ method: 'POST', url: '/admin/reload' })
  t.equal(denied.statusCode, 401)
  t.match(denied.json(), { statusCode: 401, message: /Bearer/ })
  t.equal((await app.inject({ method: 'POST', url: '/admin/reload', headers: { authorization: 'Bearer wrong' } })).statusCode, 401)

  const spec = (await app.inject('/openapi.json')).json() as {
    paths: Record<string, { post?: { responses: Record<string, unknown>, security?: unknown } }>
  }
  const op = spec.paths['/admin/reload']?.post
  t.ok(op, 'listed')
  t.same(
    Object.keys(op?.responses ?? {}).sort(),
    ['200', '400', '401', '409', '413', '415'],
    'a POST body can be malformed, too large or not JSON'
  )
  t.same(op?.security, [{ bearerAuth: [] }])
})

t.test('a valid new index renamed over the file is swapped in', async (t) => {
  const path = indexCopy('valid.sqlite')
  const app = await build(t, { API_KEYS: KEY, VECTOR_STORE_PATH: path }, { embedder: sharedEmbedder() })
  const title = async (): Promise<string | undefined> =>
    ((await app.inject({ method: 'GET', url: '/documents/pto-policy', headers: auth })).json() as { title?: string }).title
  t.equal(await title(), 'Paid Time Off')

  replaceWith(path, revisedIndex)
  const res = await app.inject({ method: 'POST', url: '/admin/reload', headers: auth })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { ok: true, status: 'operational' })

  t.equal(await title(), REVISED, 'the new file serves')
  const search = await app.inject({ method: 'POST', url: '/search', headers: auth, payload: searchBody })
  t.equal(search.statusCode, 200)
  const hit = (search.json() as {
    results: Array<{ document_id: string, document_title: string }>
  }).results.find((r) => r.document_id === 'pto-policy')
  t.equal(hit?.document_title, REVISED, 'search reads the new file too')
})

t.test('a broken file is rejected with 409 and the open index keeps serving', async (t) => {
  const path = indexCopy('broken.sqlite')
  const logs = captureLogs()
  const app = await build(
    t,
    { API_KEYS: KEY, VECTOR_STORE_PATH: path, LOG_LEVEL: 'info' },
    { logger: true, logStream: logs.stream, embedder: sharedEmbedder() }
  )
  replaceWith(path, randomBytes(64 * 1024))
  const res = await app.inject({ method: 'POST', url: '/admin/reload', headers: auth })
  t.equal(res.statusCode, 409)
  const body = res.json() as { ok: boolean, status: string, code: string, reason: string }
  t.same(
    body,
    { ok: false, status: 'unavailable', code: 'INDEX_CORRUPT', reason: 'the file is not a readable SQLite index' },
    'a code and a short reason'
  )
  t.notMatch(res.body, new RegExp(`${dir}|quick_check|SQLITE_`), 'no path, no SQLite output')
  t.match(logs.text(), /"msg":"vector store reload rejected"/)
  t.ok(logs.lines().some((l) => l.includes(path) && /not a readable SQLite database/.test(l)), 'the detail is in the log')

  const search = await app.inject({ method: 'POST', url: '/search', headers: auth, payload: searchBody })
  t.equal(search.statusCode, 200, 'search still works')
  t.ok((search.json() as { results: unknown[] }).results.length > 0)
  const health = (await app.inject('/health')).json() as { components: { vector_store: string } }
  t.equal(health.components.vector_store, 'operational')

  replaceWith(path, (tmp) => copyFileSync(defaultIndexPath, tmp))
  const again = await app.inject({ method: 'POST', url: '/admin/reload', headers: auth })
  t.same([again.statusCode, again.json()], [200, { ok: true, status: 'operational' }], 'a good file afterwards is taken')
})

t.test('SIGHUP reloads the index in the running server, which keeps answering', async (t) => {
  const path = indexCopy('sighup.sqlite')
  const server = ServerProcess.start({ entry: 'source', env: { VECTOR_STORE_PATH: path } })
  t.teardown(() => server.stop('SIGKILL'))
  const url = await server.ready()
  const title = async (): Promise<string> => ((await (await fetch(`${url}/documents/pto-policy`)).json()) as { title: string }).title
  t.equal(await title(), 'Paid Time Off')

  replaceWith(path, revisedIndex)
  server.child.kill('SIGHUP')
  const reloaded = await server.waitForLog((l) => l.msg === 'vector store reloaded')
  t.match(reloaded, { signal: 'SIGHUP', ok: true, status: 'operational', path })
  t.equal(await title(), REVISED, 'the new file serves')

  replaceWith(path, randomBytes(64 * 1024))
  server.child.kill('SIGHUP')
  const rejected = await server.waitForLog((l) => l.msg === 'vector store reload rejected')
  t.match(rejected, { signal: 'SIGHUP', ok: false, status: 'unavailable', reason: /SQLite/ })
  const search = await fetch(
    `${url}/search`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(searchBody) }
  )
  t.equal(search.status, 200, 'the old index keeps serving')
  t.equal(await title(), REVISED)
  t.equal(server.exitInfo, undefined, 'SIGHUP did not stop the process')

  t.same(await server.stop('SIGTERM'), { code: 0, signal: null }, 'SIGTERM still closes it cleanly')
})
