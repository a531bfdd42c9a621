/**
 * A company's own policies, one in each format, from a folder to answers: index:build, the
 * service serving that index, a reload after a policy is added, and /chat citing each policy with
 * its title, version and effective date.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { createEmbedder } from '../../lib/embedding/embedder.js'
import { defaultModelDir } from '../../lib/paths.js'
import { buildIndex } from '../../lib/corpus/build-index.js'
import { startFakeLlmServer } from '../../tools/lib/fake-llm-server.js'
import { policyDocx, policyHtml, policyPdf, policyText } from '../helpers/policy-files.js'
import { build, sharedEmbedder } from '../helper.js'

const embedder = createEmbedder({ modelDir: defaultModelDir, cacheSize: 0 })
const root = mkdtempSync(join(tmpdir(), 'own-policies-'))
t.teardown(async () => {
  await embedder.close()
  rmSync(root, { recursive: true, force: true })
})

const docs = join(root, 'policies')
const indexPath = join(root, 'served', 'policies.sqlite')
const KEY = 'e2e-key-0123456789'
const auth = { authorization: `Bearer ${KEY}` }
// Answers are under test, not load shedding: a busy test machine must not turn them into 503s.
const unshed = { MAX_EVENT_LOOP_DELAY_MS: 0 }

mkdirSync(docs)
writeFileSync(join(docs, 'bicycle-parking.md'), `---
title: Bicycle Parking
category: facilities
version: 2.1
effective_date: 2026-03-01
owner: Facilities Team
---
# Bicycle Parking

## Where to park
Bicycles are parked in the locked cage on basement level B2, opened with your building pass. \
Bicycles left in the cage for more than thirty days are removed by Facilities.

## Electric bicycles
Electric bicycles may be charged only at the green charging sockets beside the cage.
`)
writeFileSync(join(docs, 'visitors.txt'), policyText({
  title: 'Visitor Policy',
  header: ['Version: 1.4', 'Effective date: 15 February 2026', 'Category: security'],
  sections: [
    {
      heading: 'Signing in',
      paragraphs: ['Every visitor signs in at the ground floor reception desk and wears a red visitor badge at all times.']
    },
    { heading: 'Escorts', paragraphs: ['Visitors must be escorted by their host employee and must sign out before 6 pm.'] }
  ]
}))
writeFileSync(join(docs, 'kitchen.html'), policyHtml({
  title: 'Kitchen Rules',
  sections: [
    { heading: 'The fridge', paragraphs: ['The office fridge is emptied every Friday at 4 pm; anything left inside is thrown away.'] },
    { heading: 'Dishes', paragraphs: ['Put used mugs and dishes in the dishwasher, never in the sink.'] }
  ]
}, '<meta name="version" content="4"><meta name="effective_date" content="2025-11-03"><meta name="category" content="facilities"><link ' +
  'rel="canonical" href="https://intranet.example/policies/kitchen">'))
writeFileSync(join(docs, 'company-cars.pdf'), await policyPdf({
  title: 'Company Car Policy',
  header: ['Version: 3.0', 'Effective date: 1 April 2026', 'Category: finance'],
  sections: [
    {
      heading: 'Fuel',
      paragraphs: [
        'Company cars are refuelled only with the Shell fuel card kept in the glovebox; private fuel receipts are not reimbursed.'
      ]
    },
    { heading: 'Accidents', paragraphs: ['Report any accident involving a company car to the fleet manager within 24 hours.'] }
  ]
}, 'FLEET-POL-003'))

const phones = {
  file: 'mobile-phones.docx',
  spec: {
    title: 'Mobile Phone Allowance',
    sections: [
      {
        heading: 'Allowance',
        paragraphs: ['Employees who are on call receive a mobile phone allowance of 40 dollars a month, paid with their salary.']
      },
      {
        heading: 'Lost phones',
        paragraphs: ['A lost company phone is reported to the IT service desk the same day so it can be wiped remotely.']
      }
    ]
  }
}
writeFileSync(join(docs, 'corpus.json'), JSON.stringify({
  categories: ['facilities', 'security', 'finance', 'it'],
  documents: { [phones.file]: { category: 'it', version: '5.1', effective_date: '2026-01-01', review_date: '2020-01-01', owner: 'IT' } }
}))

interface Citation {
  document_id: string
  document_title: string
  version: string | null
  effective_date: string | null
  source_url: string | null
}

const expected: Record<string, { question: string, title: string, version: string, effective_date: string, fact: RegExp }> = {
  'bicycle-parking': {
    question: 'Which level is the bicycle cage on?',
    title: 'Bicycle Parking',
    version: '2.1',
    effective_date: '2026-03-01',
    fact: /B2/
  },
  visitors: {
    question: 'By what time must visitors sign out?',
    title: 'Visitor Policy',
    version: '1.4',
    effective_date: '2026-02-15',
    fact: /6 pm/
  },
  kitchen: {
    question: 'When is the office fridge emptied?',
    title: 'Kitchen Rules',
    version: '4',
    effective_date: '2025-11-03',
    fact: /Friday/
  },
  'company-cars': {
    question: 'Which fuel card do company cars use?',
    title: 'Company Car Policy',
    version: '3.0',
    effective_date: '2026-04-01',
    fact: /Shell/
  },
  'mobile-phones': {
    question: 'How much is the mobile phone allowance for employees on call?',
    title: 'Mobile Phone Allowance',
    version: '5.1',
    effective_date: '2026-01-01',
    fact: /40 dollars/
  }
}

t.test('a folder of five formats builds, and after a reload /chat answers from each with its version', async (t) => {
  const first = await buildIndex({ corpusDir: docs, outPath: indexPath, embedder })
  t.match(first, { documents: 4, skipped: [] })
  const app = await build(t, { ...unshed, VECTOR_STORE_PATH: indexPath, API_KEYS: KEY }, { embedder: sharedEmbedder() })
  let listed = (await app.inject({ url: '/documents', headers: auth })).json() as { documents: Array<{ id: string }> }
  t.same(listed.documents.map((d) => d.id), ['bicycle-parking', 'company-cars', 'kitchen', 'visitors'])

  writeFileSync(join(docs, phones.file), await policyDocx(phones.spec))
  const second = await buildIndex({ corpusDir: docs, outPath: indexPath, embedder })
  t.match(second, { documents: 5, vectors: { reused: first.chunks } }, 'the four unchanged policies keep their vectors')
  const reload = await app.inject({ method: 'POST', url: '/admin/reload', headers: auth })
  t.match(reload.json(), { ok: true, status: 'operational' })
  listed = (await app.inject({ url: '/documents', headers: auth })).json() as { documents: Array<{ id: string }> }
  t.equal(listed.documents.length, 5, 'the reload serves the new index')

  for (const [id, want] of Object.entries(expected)) {
    const res = await app.inject({ method: 'POST', url: '/chat', headers: auth, payload: { question: want.question } })
    t.equal(res.statusCode, 200, `${id}: ${res.body.slice(0, 300)}`)
    const body = res.json() as { answer: string, mode: string, citations: Citation[] }
    t.equal(body.mode, 'extractive', `${id}: ${body.answer}`)
    t.match(body.answer, want.fact, `${id}: the answer states the fact`)
    t.ok(body.answer.includes(want.title), `${id}: the answer names the policy`)
    const citation = body.citations.find((c) => c.document_id === id)
    t.match(
      citation,
      { document_title: want.title, version: want.version, effective_date: want.effective_date },
      `${id} is cited with its title, version and effective date`
    )
  }
})

t.test('search hits, documents, the review flag, the gauge and the streamed answer carry the edition', async (t) => {
  const app = await build(t, { ...unshed, VECTOR_STORE_PATH: indexPath }, { embedder: sharedEmbedder() })
  const search = await app.inject({ method: 'POST', url: '/search', payload: { query: 'office fridge', top_k: 1 } })
  t.match(
    search.json(),
    {
      results: [
        { document_id: 'kitchen', version: '4', effective_date: '2025-11-03', source_url: 'https://intranet.example/policies/kitchen' }
      ]
    }
  )

  const listed = (await app.inject('/documents')).json() as { documents: Array<Record<string, unknown>>, categories: string[] }
  t.same(listed.categories, ['facilities', 'finance', 'it', 'security'])
  const unknown = await app.inject({ method: 'POST', url: '/search', payload: { query: 'fuel card', category: 'hr' } })
  t.equal(unknown.statusCode, 400)
  t.match(unknown.json(), { statusCode: 400, message: 'Unknown category "hr": the index has facilities, finance, it, security' })
  const filtered = await app.inject({ method: 'POST', url: '/search', payload: { query: 'fuel card', category: 'finance' } })
  const categories = (filtered.json() as { results: Array<{ category: string }> }).results.map((r) => r.category)
  t.ok(categories.length > 0 && categories.every((c) => c === 'finance'), categories.join(', '))
  t.match(
    listed.documents.find((d) => d.id === 'mobile-phones'),
    { review_date: '2020-01-01', review_overdue: true, owner: 'IT', category: 'it' }
  )
  t.same(listed.documents.filter((d) => d.review_overdue === true).map((d) => d.id), ['mobile-phones'])
  t.match(
    (await app.inject('/documents/company-cars')).json(),
    {
      title: 'Company Car Policy',
      markdown: /^# Company Car Policy\n\nVersion: 3\.0\n\nEffective date: 1 April 2026\n\nCategory: finance\n\n## Fuel\n/
    }
  )
  t.match((await app.inject('/metrics')).body, /^policy_rag_policies_past_review 1$/m)

  const stream = await app.inject({ method: 'POST', url: '/chat', payload: { question: expected['company-cars']?.question, stream: true } })
  const done = /event: done\ndata: (.*)\n/.exec(stream.body)?.[1]
  const citations = (JSON.parse(done ?? '{}') as { citations?: Citation[] }).citations ?? []
  t.match(citations.find((c) => c.document_id === 'company-cars'), { version: '3.0', effective_date: '2026-04-01', source_url: null })
})

t.test('the LLM sees each source\'s version and effective date', async (t) => {
  const fake = await startFakeLlmServer({ default: { text: 'Use the Shell fuel card [1].' } })
  t.teardown(() => fake.close())
  const app = await build(
    t,
    { ...unshed, VECTOR_STORE_PATH: indexPath, LLM_BASE_URL: fake.url, OPENROUTER_API_KEY: 'sk-test', LLM_MAX_RETRIES: 0 },
    { embedder: sharedEmbedder() }
  )
  const res = await app.inject({ method: 'POST', url: '/chat', payload: { question: expected['company-cars']?.question } })
  t.match(res.json(), { mode: 'llm', citations: [{ document_id: 'company-cars', version: '3.0', effective_date: '2026-04-01' }] })
  const sent = (fake.requests[0]?.body as { messages: Array<{ content: string }> } | undefined)?.messages.at(-1)?.content
  t.match(sent, /<source n="\d" document="Company Car Policy" section="[^"]*" version="3\.0" effective="2026-04-01">/)
})
