import t from 'tap'
import { createSynonymMap, workplaceSynonyms } from '../../../lib/search/synonyms.js'

t.test('a phrase of a group brings in the group\'s other phrases, on whole words only', async (t) => {
  const map = createSynonymMap([['roll over', 'carry over'], ['stat', 'statutory holiday']])
  t.same(map.expansions('Can I roll over my leave?'), ['carry over'])
  t.same(map.expansions('Can I roll-over my leave?'), ['carry over'], 'a hyphen stands for a space')
  t.same(map.expansions('What is the status of my claim?'), [], '"stat" does not fire inside "status"')
  t.same(map.expansions('Can I carry over days?'), ['roll over'], 'groups work both ways')
})

t.test('the committed map parses and holds no phrase twice in one group', async (t) => {
  t.ok(workplaceSynonyms().expansions('can i roll over my vacation').includes('carry over'))
})

t.test('with a vocabulary, only phrases the policies do not use are expanded', async (t) => {
  const { knownTo } = await import('../../../lib/search/synonyms.js')
  const map = createSynonymMap([['sick', 'illness'], ['roll over', 'carry over']])
  const known = knownTo(new Set(['sick', 'carry', 'over']))
  t.same(map.expansions('how many sick days', known), [], 'the policies say sick themselves')
  t.same(map.expansions('can I roll over days', known), ['carry over'])
})

t.test('the committed map matches as one Unicode regular expression per phrase would (whole words, a space for spaces and hyphens)', async (
  t
) => {
  const fc = (await import('fast-check')).default
  const { readFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { repoRoot } = await import('../../../lib/paths.js')
  const groups = (JSON.parse(readFileSync(join(repoRoot, 'index-data', 'synonyms.json'), 'utf8')) as { groups: string[][] }).groups
  // The former implementation, kept as the reference.
  const wholeWords = (phrase: string): RegExp => new RegExp(
    `(?<![\\p{L}\\p{N}])${phrase.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '[\\s-]+')}(?![\\p{L}\\p{N}])`,
    'u'
  )
  const reference = groups.map((group) => group.map((phrase) => ({ phrase, pattern: wholeWords(phrase) })))
  const expected = (text: string): string[] => {
    const lower = text.toLowerCase().normalize('NFKC')
    const out: string[] = []
    for (const group of reference) {
      if (!group.some(({ pattern }) => pattern.test(lower))) continue
      for (const { phrase, pattern } of group) if (!pattern.test(lower) && !out.includes(phrase)) out.push(phrase)
    }
    return out
  }
  const map = workplaceSynonyms()
  const words = [...new Set(groups.flat().flatMap((p) => p.split(/[\s'-]+/)))]
  const word = fc.oneof(
    fc.constantFrom(...words),
    fc.constantFrom(...words).map((w) => w.toUpperCase()),
    fc.string({ maxLength: 4 }),
    fc.constantFrom('status', 'é', '42', 'ﬁ')
  )
  const gap = fc.constantFrom(' ', '  ', '-', ' - ', '--', '\'', '’', ', ', '.', '', '\n', '/')
  const text = fc.array(fc.tuple(word, gap), { maxLength: 12 }).map((parts) => parts.flat().join(''))
  fc.assert(fc.property(text, (s) => { t.same(map.expansions(s), expected(s), s) }), { numRuns: 400 })
  for (const phrase of groups.flat()) t.same(map.expansions(`x ${phrase}.`), expected(`x ${phrase}.`), phrase)
})

t.test('a phrase that does not begin and end with a letter or digit is refused when the map is built', async (t) => {
  t.throws(() => createSynonymMap([['ok', '-carry']]), /must begin and end with a letter or digit/)
  t.throws(() => createSynonymMap([['ok', '']]), /must begin and end/)
})
