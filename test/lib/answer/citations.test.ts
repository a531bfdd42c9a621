import fc from 'fast-check'
import { test } from 'tap'
import { checkCitations, citedSources, CitationStream } from '../../../lib/answer/citations.js'

test('valid citations are renumbered 1..k in order of first appearance, and list their sources in that order', async (t) => {
  t.same(checkCitations('Up to 5 days [2]. Ask your manager [1]. Carry-over ends in March [2].', 3), {
    answer: 'Up to 5 days [1]. Ask your manager [2]. Carry-over ends in March [1].',
    cited: [2, 1],
    invalid: [],
    valid: true
  })
})

test('groups, lists, ranges and labels become adjacent single markers', async (t) => {
  const cases: Array<[string, string, number[]]> = [
    ['A [1, 2].', 'A [1][2].', [1, 2]],
    ['A [1][2].', 'A [1][2].', [1, 2]],
    ['A [1; 3].', 'A [1][2].', [1, 3]],
    ['A [1 and 2].', 'A [1][2].', [1, 2]],
    ['A [1-3].', 'A [1][2][3].', [1, 2, 3]],
    ['A [2–3].', 'A [1][2].', [2, 3]],
    ['A [Source 2].', 'A [1].', [2]],
    ['A [sources 1, 3].', 'A [1][2].', [1, 3]],
    ['A [^1].', 'A [1].', [1]],
    ['A [ 2 ].', 'A [1].', [2]],
    ['A [2, 2].', 'A [1].', [2]]
  ]
  for (const [input, answer, cited] of cases) {
    t.match(checkCitations(input, 3), { answer, cited, valid: true }, input)
  }
})

test('invalid numbers are removed with tidy spacing', async (t) => {
  const cases: Array<[string, string, number[], number[]]> = [
    ['Five days [7].', 'Five days.', [], [7]],
    ['Five days [0], paid [1].', 'Five days, paid [1].', [1], [0]],
    ['Five days [7] and more [1].', 'Five days and more [1].', [1], [7]],
    ['Five days [1, 7].', 'Five days [1].', [1], [7]],
    ['Five days [2-4].', 'Five days [1][2].', [2, 3], [4]],
    ['Years [2020-2023].', 'Years.', [], [2020, 2021, 2022, 2023]],
    ['Wide [1-2023].', 'Wide [1].', [1], [2023]],
    ['Five days [7]\nNext line [1]', 'Five days\nNext line [1]', [1], [7]],
    ['Five days [7] [8].', 'Five days.', [], [7, 8]],
    ['Five days [7]', 'Five days', [], [7]],
    ['Five[7]days', 'Fivedays', [], [7]],
    ['Five [7]days', 'Five days', [], [7]]
  ]
  for (const [input, answer, cited, invalid] of cases) {
    t.same(checkCitations(input, 3), { answer, cited, invalid, valid: false }, input)
  }
})

test('text that only looks like brackets is left alone', async (t) => {
  const text = 'See [the handbook] and [link](https://example.com) or [12345].'
  t.same(checkCitations(text, 3), { answer: text, cited: [], invalid: [], valid: true })
  t.same(checkCitations("The policies don't say.", 3), { answer: "The policies don't say.", cited: [], invalid: [], valid: true })
})

test('with no sources every citation is invalid', async (t) => {
  t.match(checkCitations('Yes [1].', 0), { answer: 'Yes.', cited: [], invalid: [1], valid: false })
})

test('citedSources lists exactly the cited sources in citation order', async (t) => {
  const sources = [1, 2, 3, 4].map((n) => ({ n, chunk_id: `doc#${n}` }))
  t.same(citedSources(sources, [3, 1]).map((s) => s.chunk_id), ['doc#3', 'doc#1'])
  t.same(citedSources(sources, []), [])
})

test('CitationStream emits cleaned text as tokens arrive', async (t) => {
  const stream = new CitationStream(2)
  const out = ['Five', ' days', ' [', '7', ']', '.', ' Paid', ' [', '1', ',', ' 2', ']', ' yes'].map((token) => stream.push(token))
  out.push(stream.end())
  t.equal(out.join(''), 'Five days. Paid [1][2] yes')
  t.equal(out[2], '', 'the space and bracket of a possible citation are held back')
  t.equal(out[5], '.', 'an invalid citation is dropped with the space before it')
  t.same(stream.result(), { answer: 'Five days. Paid [1][2] yes', cited: [1, 2], invalid: [7], valid: false })
})

test('CitationStream does not hold text that cannot be a citation', async (t) => {
  const stream = new CitationStream(2)
  t.equal(stream.push('See [the'), 'See [the')
  t.equal(stream.push(' handbook] now'), ' handbook] now')
  t.equal(stream.push(' [1'), '')
  t.equal(stream.push('] ok'), ' [1] ok')
})

const pieces = fc.constantFrom(
  'Five', ' days', ' ', '  ', '.', ',', '\n', '[', ']', '1', '2', '7', '0', '-', ',', ' and ', 'Source ', '^',
  '[1]', '[7]', '[1, 2]', '[2-3]', '[see]', 'é', '(', ')', '[12345]'
)

test('property: the stream output equals the batch answer for any tokenisation', async (t) => {
  fc.assert(fc.property(
    fc.array(pieces, { maxLength: 40 }),
    fc.array(fc.nat(), { maxLength: 10 }),
    fc.integer({ min: 0, max: 4 }),
    (parts, cutSeeds, sourceCount) => {
      const text = parts.join('')
      const cuts = [...new Set(cutSeeds.map((s) => s % (text.length + 1)))].sort((a, b) => a - b)
      const stream = new CitationStream(sourceCount)
      let out = ''
      let from = 0
      for (const at of [...cuts, text.length]) {
        out += stream.push(text.slice(from, at))
        from = at
      }
      out += stream.end()
      const batch = checkCitations(text, sourceCount)
      return out === batch.answer && JSON.stringify(stream.result()) === JSON.stringify(batch)
    }
  ), { numRuns: 2000 })
  t.pass('2000 random answers and tokenisations agreed')
})
