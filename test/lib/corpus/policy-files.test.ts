import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { CorpusError, CorpusReadError, parseDocument, readCorpus } from '../../../lib/corpus/policy-files.js'
import { parseCategoryList, parseCorpusConfig } from '../../../lib/corpus/config.js'
import { headerFields, idFromFileName, parseDate } from '../../../lib/corpus/fields.js'
import { repoRoot } from '../../../lib/paths.js'

const fixtures = join(repoRoot, 'test', 'fixtures', 'policies')

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

function tempDir (t: Test, from?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'corpus-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  if (from !== undefined) cpSync(from, dir, { recursive: true })
  return dir
}

t.test('parses front matter and keeps the body after it', async (t) => {
  const doc = parseDocument(valid, 'sample-policy.md')
  t.match(
    doc,
    { id: 'sample-policy', title: 'Sample: Policy', category: 'hr', owner: 'People Team', effective_date: '2025-02-28', version: '1.0' }
  )
  t.equal(doc.review_date, null)
  t.equal(doc.source_url, null)
  t.equal(doc.markdown, '# Sample\n\nBody text.\n')
  const more = parseDocument(
    valid.replace('version: 1.0', 'version: v1.0\nreview_date: 1 March 2027\nsource_url: https://intranet.example/hr/sample'),
    'sample-policy.md'
  )
  t.match(more, { version: '1.0', review_date: '2027-03-01', source_url: 'https://intranet.example/hr/sample' })
})

t.test('CRLF and a BOM parse like LF', async (t) => {
  const doc = parseDocument(`\uFEFF${valid.replaceAll('\n', '\r\n')}`, 'sample-policy.md')
  t.equal(doc.markdown, '# Sample\n\nBody text.\n')
})

t.test('front matter is optional: id from the file name, title from the first heading, fields from the top lines', async (t) => {
  const doc = parseDocument(
    '# Bicycle Parking\n\nVersion: 2.1\nEffective date: 1 March 2026\n**Owner:** Facilities\n\n## Where\nIn the basement. Note: bring a ' +
      'lock.\n',
    'Bicycle Parking (2026).md'
  )
  t.match(
    doc,
    {
      id: 'bicycle-parking-2026',
      title: 'Bicycle Parking',
      category: 'general',
      version: '2.1',
      effective_date: '2026-03-01',
      owner: 'Facilities',
      review_date: null
    }
  )
  const bare = parseDocument('Just some text without a heading.\n', 'visitor_rules.md')
  t.match(bare, { id: 'visitor-rules', title: 'Visitor rules', version: null, effective_date: null, owner: null })
  const text = parseDocument('Visitor Rules\n\nVisitors sign in at reception.\n', 'visitors.txt')
  t.match(text, { title: 'Visitor Rules', markdown: /^# Visitor Rules\n/ })
  t.same(
    headerFields('# T\n\nIntro paragraph that is not a field.\nVersion: 3\n\n## Section\nVersion: 9\n'),
    { version: '3' },
    'fields after the first section are text'
  )
})

t.test('errors name the file and the field', async (t) => {
  const listed = parseCorpusConfig('{"categories": ["hr", "finance"]}', 'corpus.json')
  const cases: Array<[string, string, RegExp]> = [
    [
      valid.replace('category: hr', 'category: sales'),
      'category',
      /sample-policy\.md: field "category": must be one of hr, finance \(the configured list: corpus\.json or --categories\), got "sales"/
    ],
    [valid.replace('effective_date: 2025-02-28', 'effective_date: 2025-02-30'), 'effective_date', /calendar date/],
    [valid.replace('version: 1.0', 'version: 1.0\nversion: 2'), 'version', /appears twice/],
    [valid.replace('version: 1.0', 'version: 1.0\nauthor: x'), 'author', /unknown field/],
    [valid.replace('id: sample-policy', 'id: Sample_Policy'), 'id', /must match the file name \(expected "sample-policy"/],
    [valid.replace('title: "Sample: Policy"', 'title: "Sample'), 'title', /unterminated quote/],
    [valid.replace('version: 1.0', 'source_url: ftp://files/x'), 'source_url', /http\(s\) URL/]
  ]
  for (const [source, field, message] of cases) {
    const err = t.throws(() => parseDocument(source, 'sample-policy.md', listed))
    t.ok(err instanceof CorpusError, field)
    t.match(err, { file: 'sample-policy.md', field, message })
  }
  t.throws(() => parseDocument('---\nid: x\n', 'x.md'), { message: /not closed/ })
  t.throws(() => parseDocument('---\nid x\n---\n# body', 'x.md'), { message: /cannot parse front matter line "id x"/ })
  t.throws(() => parseDocument('---\ntitle: Empty\n---\n  \n', 'x.md'), { message: /x\.md: the document has no text/ })
  t.throws(() => parseDocument('# Body', '---.md'), { message: /no letters or digits/ })
})

t.test('categories are free text unless a list is configured', async (t) => {
  const source = valid.replace('category: hr', 'category: Facilities & Estates')
  t.equal(parseDocument(source, 'sample-policy.md').category, 'Facilities & Estates')
  t.equal(parseDocument('# No category', 'x.md', parseCorpusConfig('{"default_category": "hr"}', 'corpus.json')).category, 'hr')
  t.throws(() => parseDocument('# No category', 'x.md', parseCorpusConfig('{"categories": ["hr"]}', 'corpus.json')),
    { message: /x\.md: field "category": is required \(one of hr\)/ })
  t.same(parseCategoryList(' hr, finance ,,hr'), ['hr', 'finance'])
  t.throws(() => parseCategoryList(','), { message: /--categories: "categories" must be a non-empty list/ })
  for (const [json, message] of [
    ['{"categories": "hr"}', /"categories" must be a non-empty list/],
    ['{"categoris": []}', /unknown key "categoris"/],
    ['{"documents": {"a.pdf": {"version": 3}}}', /"documents"\."a\.pdf"\."version" must be a string/],
    ['{"documents": {"a.pdf": {"colour": "red"}}}', /unknown field "colour"/],
    ['[1]', /must be a JSON object/],
    ['{', /is not valid JSON/]
  ] as const) t.throws(() => parseCorpusConfig(json, '/x/corpus.json'), { message }, json)
})

t.test('dates and ids', async (t) => {
  t.equal(parseDate('2026-01-01'), '2026-01-01')
  t.equal(parseDate('1 January 2026'), '2026-01-01')
  t.equal(parseDate('1st Jan. 2026'), '2026-01-01')
  t.equal(parseDate('January 1, 2026'), '2026-01-01')
  t.equal(parseDate('29 February 2026'), undefined)
  t.equal(parseDate('2026-13-01'), undefined)
  t.equal(parseDate('soon'), undefined)
  t.equal(idFromFileName('Paid Time Off (v3).PDF'), 'paid-time-off-v3')
  t.equal(idFromFileName('Política de Viajes.docx'), 'politica-de-viajes')
})

t.test('reads the folder in code-point order with a stable hash', async (t) => {
  const corpus = await readCorpus(fixtures)
  t.same(corpus.documents.map((d) => d.file), ['data-retention.md', 'remote-work.md', 'travel-expenses.md'])
  t.same(corpus.skipped, [])
  t.match(corpus.sha256, /^[0-9a-f]{64}$/)
  t.equal((await readCorpus(fixtures)).sha256, corpus.sha256)
})

t.test('the hash changes with any content, file name or setting, not with line endings', async (t) => {
  const base = (await readCorpus(fixtures)).sha256
  const dir = tempDir(t, fixtures)
  const file = join(dir, 'remote-work.md')
  const source = readFileSync(file, 'utf8')
  writeFileSync(file, source.replaceAll('\n', '\r\n'))
  t.equal((await readCorpus(dir)).sha256, base, 'CRLF checkout hashes the same')
  writeFileSync(file, source.replace('three days', 'four days'))
  const edited = (await readCorpus(dir)).sha256
  t.not(edited, base, 'one word changed')
  writeFileSync(join(dir, 'corpus.json'), '{"documents": {"remote-work.md": {"source_url": "https://intranet.example/rw"}}}')
  const configured = await readCorpus(dir)
  t.not(configured.sha256, edited, 'corpus.json counts')
  t.equal(
    configured.documents.find((d) => d.id === 'remote-work')?.source_url,
    'https://intranet.example/rw',
    'corpus.json gives a file its fields'
  )
  t.not((await readCorpus(dir, { categories: ['workplace', 'finance', 'privacy'] })).sha256, configured.sha256, '--categories counts')
})

t.test('bad files fail the read with one line each, or are skipped with keepGoing', async (t) => {
  const empty = tempDir(t)
  await t.rejects(readCorpus(empty), { message: /has no policy files \(\.md, \.markdown, \.txt, \.html, \.htm, \.pdf, \.docx\)/ })
  await t.rejects(readCorpus(join(empty, 'nope')), { message: /cannot read the corpus folder/ })
  const dir = tempDir(t, fixtures)
  writeFileSync(
    join(dir, 'broken.md'),
    valid.replace('id: sample-policy', 'id: broken').replace('effective_date: 2025-02-28', 'effective_date: someday')
  )
  writeFileSync(join(dir, 'budget.xlsx'), 'PK')
  writeFileSync(join(dir, 'remote_work.txt'), 'Remote Work\n\nA second copy.\n')
  writeFileSync(join(dir, 'huge.md'), `# Huge\n\n${'word '.repeat(3000)}\n`)
  writeFileSync(join(dir, 'empty.txt'), '\n  \n')
  writeFileSync(join(dir, '.DS_Store'), 'ignored')
  const err = await readCorpus(dir, { maxFileBytes: 10_000 }).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof CorpusReadError)
  const lines = (err as Error).message.split('\n')
  t.same(lines, [
    'broken.md: field "effective_date": must be a calendar date (2026-01-01 or 1 January 2026), got "someday"',
    'budget.xlsx: unsupported file type ".xlsx" (supported: .md, .markdown, .txt, .html, .htm, .pdf, .docx)',
    'empty.txt: the document has no text',
    'huge.md: is 15 KB, over the 10 KB limit (--max-file-mb)',
    'remote_work.txt: duplicate id "remote-work" (remote-work.md has it too; rename one of them)'
  ])
  const kept = await readCorpus(dir, { maxFileBytes: 10_000, keepGoing: true })
  t.same(kept.documents.map((d) => d.id), ['data-retention', 'remote-work', 'travel-expenses'])
  t.same(kept.skipped.map((s) => s.file), ['broken.md', 'budget.xlsx', 'empty.txt', 'huge.md', 'remote_work.txt'])
  t.equal(kept.sha256, (await readCorpus(fixtures)).sha256, 'skipped files are not part of the corpus')
})
