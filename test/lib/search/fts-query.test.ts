import Database from 'better-sqlite3'
import fc from 'fast-check'
import t, { type Test } from 'tap'
import { FTS_STOPWORDS, ftsTerms, MAX_QUERY_TERMS, quoteFts, toFtsQuery } from '../../../lib/search/fts-query.js'
import { FTS_TOKENIZER } from '../../../lib/search/index-schema.js'

function ftsTable (t: Test): (query: string) => number[] {
  const db = new Database(':memory:')
  t.teardown(() => db.close())
  db.exec(`CREATE VIRTUAL TABLE docs USING fts5(heading, text, tokenize='${FTS_TOKENIZER}')`)
  const insert = db.prepare('INSERT INTO docs (rowid, heading, text) VALUES (?, ?, ?)')
  insert.run(1, 'Paid Time Off > Accrual', 'Employees accrue 1.75 days of PTO per month.')
  insert.run(2, 'Security > Passwords', 'NOT sharing passwords: use the "vault" (AND never email them). Café rules apply.')
  insert.run(3, 'Travel > NEAR trips', 'text:heading column filters like heading: are words here, and so is OR.')
  const search = db.prepare<[string], { rowid: number }>('SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 2.0, 1.0), rowid')
  return (query) => search.all(query).map((r) => r.rowid)
}

t.test('words become quoted terms joined by OR; stopwords and 1-char tokens go', async (t) => {
  t.equal(toFtsQuery('How many vacation days do I get?'), '"many" OR "vacation" OR "days"')
  t.equal(toFtsQuery('PTO pto Pto'), '"pto"', 'deduplicated, lower-cased')
  t.equal(toFtsQuery('what is it?'), null)
  t.equal(toFtsQuery('  ?! * ^ - : ( ) "" '), null)
  t.equal(toFtsQuery(''), null)
  t.same(ftsTerms('Café naïve 2026'), ['café', 'naïve', '2026'])
  t.equal(quoteFts('a"b'), '"a""b"')
  t.equal(ftsTerms(Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ')).length, MAX_QUERY_TERMS)
  t.ok(FTS_STOPWORDS.has('the'))
})

t.test('FTS5 syntax in the text is searched as words', async (t) => {
  const search = ftsTable(t)
  const cases: Array<[string, number[]]> = [
    ['accrue days', [1]],
    ['NOT passwords', [2]],
    ['"vault" AND', [2]],
    ['NEAR(passwords vault)', [2, 3]],
    ['heading: text: column', [3]],
    ['pass* ^vault -email', [2]],
    ['{heading}: cafe', [2, 3]],
    ['OR', []]
  ]
  for (const [text, expected] of cases) {
    const query = toFtsQuery(text)
    t.same(query === null ? [] : search(query).sort(), expected, JSON.stringify(text))
  }
})

t.test('synonym phrases are searched as phrases, their syntax as words', async (t) => {
  const search = ftsTable(t)
  t.equal(toFtsQuery('time off?', ['days off', 'PTO', 'the', 'days off']), '"time" OR "off" OR "days off" OR "pto"',
    'a phrase once, a one-word phrase as a term, a stopword dropped')
  t.same(search(toFtsQuery('holiday', ['days of PTO']) as string), [1], 'the words together')
  t.same(search(toFtsQuery('holiday', ['days off']) as string), [], 'not each word alone: "days" is in row 1, "off" nowhere')
  t.same(search(toFtsQuery('holiday', ['NOT sharing', '"vault" (AND']) as string).sort(), [2], 'quotes and operators stay words')
  t.equal(toFtsQuery('?', ['']), null)
})

t.test('property: any text is either null or a MATCH expression FTS5 accepts', async (t) => {
  const search = ftsTable(t)
  const syntax = fc.constantFrom('"', "'", 'AND', 'OR', 'NOT', 'NEAR', 'NEAR(', '*', '^', '-', '+', ':', '(', ')', '{', '}', '[', ']',
    'heading:', 'text:', 'docs:', '\\', '\u0000', '\u0301', 'ß', 'İ', '𝒜', '١٢', ' ', '\n', 'passwords', 'pto')
  const text = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.array(syntax, { maxLength: 20 }).map((parts) => parts.join(''))
  )
  fc.assert(fc.property(text, text, (input, phrase) => {
    const query = toFtsQuery(input, [phrase])
    if (query === null) return ftsTerms(input).length === 0 && ftsTerms(phrase).length === 0
    search(query)
    return true
  }), { numRuns: 2000, seed: 11 })
  t.pass('2000 random texts, no FTS5 error')
})
