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
