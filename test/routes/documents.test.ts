import { join } from 'node:path'
import t from 'tap'
import { readCorpus } from '../../lib/corpus/policy-files.js'
import { defaultConfigPath, defaultCorpusDir } from '../../lib/corpus/build-index.js'
import { build, sharedEmbedder } from '../helper.js'

const corpus = await readCorpus(defaultCorpusDir, { configPath: defaultConfigPath })

// One app for the cases that need no particular setting and change nothing in it: each build loads the model anew.
const plain = await build(t, {}, { embedder: sharedEmbedder() })

t.test('GET /documents lists every policy with its chunk count', async (t) => {
  const app = plain
  const res = await app.inject('/documents')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /application\/json/)
  const { documents, categories } = res.json() as { documents: Array<Record<string, unknown>>, categories: string[] }
  t.same(documents.map((d) => d.id), corpus.documents.map((d) => d.id))
  t.same(categories, ['conduct', 'finance', 'hr', 'it-security', 'privacy', 'safety', 'workplace'], 'the categories the index holds')
  const pto = documents.find((d) => d.id === 'pto-policy')
  const source = corpus.documents.find((d) => d.id === 'pto-policy')
  t.same(Object.keys(pto ?? {}).sort(), ['category', 'chunk_count', 'effective_date', 'id', 'owner', 'review_overdue', 'title', 'version'])
  t.match(
    pto,
    {
      title: source?.title,
      category: source?.category,
      effective_date: source?.effective_date,
      version: source?.version,
      owner: source?.owner,
      review_overdue: false,
      chunk_count: Number
    }
  )
  const total = documents.reduce((sum, d) => sum + (d.chunk_count as number), 0)
  t.ok(total >= 95 && total <= 101, `${total} chunks`)
})

t.test('GET /documents reports the categories the index holds; search accepts only those', async (t) => {
  const app = plain
  const { categories } = (await app.inject('/documents')).json() as { categories: string[] }
  t.same(categories, [...new Set(corpus.documents.map((d) => d.category))].sort(), 'sorted, each once')

  const unknown = await app.inject({ method: 'POST', url: '/search', payload: { query: 'vacation days', category: 'holidays' } })
  t.equal(unknown.statusCode, 400)
  t.match(unknown.json(), { statusCode: 400, error: 'Bad Request', code: 'POLICY_RAG_UNKNOWN_CATEGORY' })
  t.equal(unknown.json().message, `Unknown category "holidays": the index has ${categories.join(', ')}`)

  const known = await app.inject({ method: 'POST', url: '/search', payload: { query: 'vacation days', category: 'hr', mode: 'keyword' } })
  t.equal(known.statusCode, 200)
  const results = (known.json() as { results: Array<{ category: string }> }).results
  t.ok(results.length > 0 && results.every((r) => r.category === 'hr'), 'only hr passages')
})

t.test('GET /documents/:id returns the document with its Markdown', async (t) => {
  const app = plain
  const res = await app.inject('/documents/pto-policy')
  t.equal(res.statusCode, 200)
  const body = res.json() as Record<string, unknown>
  t.same(
    Object.keys(body).sort(),
    ['category', 'chunk_count', 'effective_date', 'id', 'markdown', 'owner', 'review_overdue', 'title', 'version']
  )
  t.equal(body.markdown, corpus.documents.find((d) => d.id === 'pto-policy')?.markdown)
  t.match(body.markdown, /^# Paid Time Off\n/)
})

t.test('an unknown id is a JSON 404', async (t) => {
  const app = plain
  for (const id of ['no-such-policy', 'PTO-POLICY', encodeURIComponent('pto-policy" OR 1=1 --')]) {
    const res = await app.inject(`/documents/${id}`)
    t.equal(res.statusCode, 404, id)
    t.match(
      res.json(),
      { statusCode: 404, error: 'Not Found', code: 'POLICY_RAG_DOCUMENT_NOT_FOUND', message: /No policy document with id/ }
    )
  }
})

t.test('an unreadable index is a JSON 503 on both routes', async (t) => {
  const app = await build(
    t,
    { VECTOR_STORE_PATH: join(t.testdir({ 'policies.sqlite': 'garbage'.repeat(1000) }), 'policies.sqlite') },
    { embedder: sharedEmbedder() }
  )
  for (const url of ['/documents', '/documents/pto-policy']) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 503, url)
    t.match(
      res.json(),
      { statusCode: 503, error: 'Service Unavailable', code: 'POLICY_RAG_INDEX_UNAVAILABLE', message: /The policy index is unavailable/ }
    )
  }
})

t.test('the routes are described in the OpenAPI document', async (t) => {
  const app = plain
  const res = await app.inject('/openapi.json')
  t.equal(res.statusCode, 200)
  const paths = (res.json() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }).paths
  t.same(Object.keys(paths['/documents']?.get?.responses ?? {}).sort(), ['200', '400', '503'])
  t.same(Object.keys(paths['/documents/{id}']?.get?.responses ?? {}).sort(), ['200', '400', '404', '414', '503'])
})
