import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { CorpusError, parseDocument, readCorpus } from '../../lib/corpus.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'policies')

const valid = `---
id: sample-policy
title: "Sample: Policy"
category: hr
owner: People Team
effective_date: 2025-02-28
version: 1.0
---
# Sample

Body text.
`

function copyFixtures (t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'corpus-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(fixtures, dir, { recursive: true })
  return dir
}

t.test('parses front matter and keeps the body after it', async (t) => {
  const doc = parseDocument(valid, 'sample-policy.md')
  t.match(doc, { id: 'sample-policy', title: 'Sample: Policy', category: 'hr', owner: 'People Team', effective_date: '2025-02-28', version: '1.0' })
  t.equal(doc.markdown, '# Sample\n\nBody text.\n')
})

t.test('CRLF and a BOM parse like LF', async (t) => {
  const doc = parseDocument(`\uFEFF${valid.replaceAll('\n', '\r\n')}`, 'sample-policy.md')
  t.equal(doc.markdown, '# Sample\n\nBody text.\n')
})

t.test('errors name the file and the field', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    [valid.replace('category: hr', 'category: sales'), 'category', /sample-policy\.md: field "category": must be one of hr, workplace/],
    [valid.replace('owner: People Team\n', ''), 'owner', /field "owner": is required/],
    [valid.replace('effective_date: 2025-02-28', 'effective_date: 2025-02-30'), 'effective_date', /calendar date/],
    [valid.replace('version: 1.0', 'version: 1.0\nversion: 2'), 'version', /appears twice/],
    [valid.replace('version: 1.0', 'version: 1.0\nauthor: x'), 'author', /unknown field/],
    [valid.replace('id: sample-policy', 'id: Sample_Policy'), 'id', /kebab-case/],
    [valid.replace('id: sample-policy', 'id: other-policy'), 'id', /must match the file name/],
    [valid.replace('title: "Sample: Policy"', 'title: "Sample'), 'title', /unterminated quote/]
  ]
  for (const [source, field, message] of cases) {
    const err = t.throws(() => parseDocument(source, 'sample-policy.md'))
    t.ok(err instanceof CorpusError, field)
    t.match(err, { file: 'sample-policy.md', field, message })
  }
  t.throws(() => parseDocument('# no front matter', 'x.md'), { message: /x\.md: missing front matter/ })
  t.throws(() => parseDocument('---\nid: x\n', 'x.md'), { message: /not closed/ })
  t.throws(() => parseDocument('---\nid x\n---\n# body', 'x.md'), { message: /cannot parse front matter line "id x"/ })
})

t.test('reads the folder in code-point order with a stable hash', async (t) => {
  const corpus = readCorpus(fixtures)
  t.same(corpus.documents.map((d) => d.file), ['data-retention.md', 'remote-work.md', 'travel-expenses.md'])
  t.match(corpus.sha256, /^[0-9a-f]{64}$/)
  t.equal(readCorpus(fixtures).sha256, corpus.sha256)
})

t.test('the hash changes with any content or file name, not with line endings', async (t) => {
  const base = readCorpus(fixtures).sha256
  const dir = copyFixtures(t)
  const file = join(dir, 'remote-work.md')
  const source = readFileSync(file, 'utf8')
  writeFileSync(file, source.replaceAll('\n', '\r\n'))
  t.equal(readCorpus(dir).sha256, base, 'CRLF checkout hashes the same')
  writeFileSync(file, source.replace('three days', 'four days'))
  t.not(readCorpus(dir).sha256, base, 'one word changed')
})

t.test('a folder without documents or a bad document fails clearly', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'corpus-empty-'))
  t.teardown(() => rmSync(empty, { recursive: true, force: true }))
  t.throws(() => readCorpus(empty), { message: /no \.md files/ })
  t.throws(() => readCorpus(join(empty, 'nope')), { message: /cannot read the corpus folder/ })
  const dir = copyFixtures(t)
  writeFileSync(join(dir, 'broken.md'), valid.replace('id: sample-policy', 'id: broken').replace('category: hr', 'category: ""'))
  t.throws(() => readCorpus(dir), { message: /broken\.md: field "category": is required/ })
})
