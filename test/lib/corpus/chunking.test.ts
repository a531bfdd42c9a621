import fc from 'fast-check'
import { join } from 'node:path'
import t from 'tap'
import {
  CHUNKER_PARAMS,
  chunkDocument,
  embeddingTexts,
  estimateTokens,
  type Chunk,
  type ChunkerParams
} from '../../../lib/corpus/chunking.js'
import { readCorpus } from '../../../lib/corpus/policy-files.js'
import { repoRoot } from '../../../lib/paths.js'

const fixtures = await readCorpus(join(repoRoot, 'test', 'fixtures', 'policies'))
const fixture = (id: string): { id: string, title: string, markdown: string } => {
  const doc = fixtures.documents.find((d) => d.id === id)
  if (doc === undefined) throw new Error(`no fixture ${id}`)
  return doc
}

function words (n: number, seed: number): string {
  const vocabulary = ['leave', 'manager', 'approval', 'days', 'request', 'employee', 'policy', 'balance', 'notice', 'payroll']
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(vocabulary[(seed * 7 + i * 3) % vocabulary.length] as string)
  return out.join(' ')
}

function paragraph (sentences: number, seed: number): string {
  return Array.from({ length: sentences }, (_, i) => `${words(12, seed + i)}.`).join(' ')
}

/** Level-2 sections a chunk's text touches; a chunk covering only the preamble touches none. */
function sectionsTouched (markdown: string, chunk: Chunk): string[] {
  const starts = [...markdown.matchAll(/^## (.*)$/gm)].map((m) => ({ at: m.index, title: m[1] ?? '' }))
  return starts
    .filter((s, i) => s.at < chunk.end && (starts[i + 1]?.at ?? markdown.length) > chunk.start)
    .map((s) => s.title)
}

type Asserts = Parameters<Parameters<typeof t.test>[0]>[0]

/** Indices of non-blank characters no chunk covers. */
function uncovered (markdown: string, chunks: Chunk[]): number[] {
  const covered = Array.from({ length: markdown.length }, () => false)
  for (const c of chunks) covered.fill(true, c.start, c.end)
  const lost: number[] = []
  for (let k = 0; k < markdown.length; k++) if (!covered[k] && /\S/.test(markdown[k] ?? '')) lost.push(k)
  return lost
}

function checkInvariants (
  t: Asserts,
  doc: { id: string, markdown: string },
  chunks: Chunk[],
  params: ChunkerParams = CHUNKER_PARAMS
): void {
  chunks.forEach((chunk, i) => {
    t.equal(chunk.ordinal, i)
    t.equal(chunk.id, `${doc.id}#${i}`)
    t.equal(doc.markdown.slice(chunk.start, chunk.end), chunk.text, `${chunk.id} offsets slice the body`)
    t.ok(estimateTokens(chunk.text, params) <= params.maxTokens, `${chunk.id} within the token budget`)
    t.equal(chunk.text, chunk.text.trim())
  })
  t.equal(uncovered(doc.markdown, chunks).length, 0, 'every non-blank character is in some chunk')
}

t.test('small sections: one chunk per ## section, heading path, exact offsets', async (t) => {
  const doc = fixture('remote-work')
  const chunks = chunkDocument(doc)
  checkInvariants(t, doc, chunks)
  t.same(chunks.map((c) => c.heading), [
    'Remote Work > Eligibility',
    'Remote Work > Equipment',
    'Remote Work > Security at home'
  ])
  t.ok(chunks[0]?.text.startsWith('# Remote Work\n\nThis policy explains'), 'the preamble joins the first section')
  t.match(chunks[2]?.text, /## Contact\n\nAsk People Operations\.$/, 'a one-line section joins its neighbour')
  t.match(chunks[2]?.text, /# this is not a heading/, 'headings inside code fences do not split')
})

t.test('a chunk never spans two ## sections unless one of them is under minTokens', async (t) => {
  const sections = [1, 2, 3, 4].map((n) => `## Section ${n}\n\n${paragraph(9, n)}\n\n${paragraph(4, n + 10)}`)
  const markdown = `# Big\n\n${sections.join('\n\n')}\n`
  const chunks = chunkDocument({ id: 'big', title: 'Big', markdown })
  checkInvariants(t, { id: 'big', markdown }, chunks)
  t.equal(chunks.length, 4)
  for (const chunk of chunks) t.equal(sectionsTouched(markdown, chunk).length, 1, `${chunk.id} stays in one section`)
  t.same(chunks.map((c) => c.heading), ['Big > Section 1', 'Big > Section 2', 'Big > Section 3', 'Big > Section 4'])
})

t.test('### subsections pack together and carry the deeper path when alone', async (t) => {
  const doc = fixture('travel-expenses')
  const chunks = chunkDocument(doc)
  checkInvariants(t, doc, chunks)
  const headings = chunks.map((c) => c.heading)
  t.ok(headings.includes('Travel and Expenses > Reimbursement'), 'the ## line opens the first window of its long subsection')
  t.ok(headings.includes('Travel and Expenses > Reimbursement > Meals'))
  t.ok(headings.includes('Travel and Expenses > Reimbursement > Mileage'))
  const mileage = chunks.find((c) => c.heading.endsWith('Mileage'))
  t.ok(mileage?.text.startsWith('### Mileage'))
})

t.test('a section over budget splits into overlapping windows of whole sentences', async (t) => {
  const doc = fixture('travel-expenses')
  const chunks = chunkDocument(doc).filter(
    (c) => c.heading.startsWith('Travel and Expenses > Reimbursement') && !c.heading.endsWith('Mileage')
  )
  t.ok(chunks.length >= 2)
  for (let i = 1; i < chunks.length; i++) {
    const prev = chunks[i - 1] as Chunk
    const next = chunks[i] as Chunk
    t.ok(next.start < prev.end, 'windows overlap')
    t.ok(next.start > prev.start, 'and move forward')
    const overlap = doc.markdown.slice(next.start, prev.end)
    t.ok(estimateTokens(overlap) <= CHUNKER_PARAMS.overlapTokens, 'by at most overlapTokens')
    t.match(doc.markdown[next.start - 2], /[.\n]/, 'starting at a sentence boundary')
  }
  const runOn = chunkDocument(doc).filter((c) => c.heading.endsWith('Long run-on'))
  t.ok(runOn.length >= 2, 'a run-on sentence is cut between words')
})

t.test('parameters change the result; invalid ones are refused', async (t) => {
  const doc = fixture('travel-expenses')
  const small = { ...CHUNKER_PARAMS, maxTokens: 120, minTokens: 10, overlapTokens: 20 }
  const chunks = chunkDocument(doc, small)
  checkInvariants(t, doc, chunks, small)
  t.ok(chunks.length > chunkDocument(doc).length)
  t.throws(() => chunkDocument(doc, { ...CHUNKER_PARAMS, overlapTokens: 300 }), RangeError)
  t.throws(() => chunkDocument(doc, { ...CHUNKER_PARAMS, maxTokens: 0 }), RangeError)
})

t.test('deterministic; embedded as heading-prefixed windows without # marks', async (t) => {
  const doc = fixture('remote-work')
  t.same(chunkDocument(doc), chunkDocument(doc))
  const short = embeddingTexts({ heading: 'Remote Work > Equipment', text: '## Equipment\n\n### Laptops\n\nThe company provides' })
  t.same(short, ['Remote Work > Equipment\nEquipment\n\nLaptops\n\nThe company provides'])
  for (const chunk of chunkDocument(fixture('travel-expenses'))) {
    const windows = embeddingTexts(chunk)
    t.ok(
      windows.length >= Math.floor(estimateTokens(chunk.text) / CHUNKER_PARAMS.embedWindowTokens),
      `${chunk.id}: ${windows.length} windows`
    )
    for (const w of windows) {
      t.ok(w.startsWith(`${chunk.heading}\n`))
      t.ok(estimateTokens(w.slice(chunk.heading.length + 1)) <= CHUNKER_PARAMS.embedWindowTokens, 'each window within its budget')
    }
    const words = (s: string): string => s.replace(/^#{1,6}[ \t]+/gm, '').split(/\s+/).join(' ')
    t.equal(words(windows.map((w) => w.slice(chunk.heading.length + 1)).join(' ')), words(chunk.text), 'windows cover the chunk in order')
  }
})

t.test('property: any heading structure keeps offsets exact, loses no text and respects the budget', async (t) => {
  const sentence = fc.array(
    fc.constantFrom('policy', 'leave', 'a', 'manager', 'days', '**bold**', '`code`', 'x-y'),
    { minLength: 1, maxLength: 30 }
  )
    .map((ws) => `${ws.join(' ')}.`)
  const para = fc.array(sentence, { minLength: 1, maxLength: 12 }).map((ss) => ss.join(' '))
  const block = fc.oneof(
    para,
    fc.array(sentence, { minLength: 1, maxLength: 5 }).map((ss) => ss.map((s) => `- ${s}`).join('\n')),
    fc.tuple(
      fc.constantFrom('##', '###', '####', '#'),
      fc.constantFrom('Scope', 'Accrual', 'Notes', '')
    ).map(([h, title]) => `${h} ${title}`),
    fc.constant('```\n# not a heading\n```')
  )
  const doc = fc.tuple(fc.array(block, { minLength: 1, maxLength: 25 }), fc.constantFrom('\n\n', '\n', '\n\n\n'))
    .map(([blocks, sep]) => blocks.join(sep))
  fc.assert(fc.property(doc, (markdown) => {
    const chunks = chunkDocument({ id: 'p', title: 'P', markdown })
    chunks.forEach((c, i) => {
      if (c.ordinal !== i || markdown.slice(c.start, c.end) !== c.text || c.text === '') throw new Error(`bad chunk ${c.id}`)
      if (estimateTokens(c.text) > CHUNKER_PARAMS.maxTokens) throw new Error(`${c.id} over budget`)
      if (!c.heading.startsWith('P')) throw new Error(`${c.id} heading ${c.heading}`)
    })
    return uncovered(markdown, chunks).length === 0
  }), { numRuns: 300, seed: 4 })
  t.pass('300 random documents')
})
