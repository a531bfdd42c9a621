import fc from 'fast-check'
import t from 'tap'
import { DEFAULT_RRF_K, reciprocalRankFusion } from '../../../lib/search/fusion.js'

t.test('sums 1/(k + rank) over both lists and reports each rank', async (t) => {
  const fused = reciprocalRankFusion({ vector: ['a', 'b', 'c'], keyword: ['c', 'd'] })
  t.same(fused.map((r) => r.chunk_id), ['c', 'a', 'b', 'd'])
  t.same(fused[0], { chunk_id: 'c', score: 1 / (DEFAULT_RRF_K + 3) + 1 / (DEFAULT_RRF_K + 1), vector_rank: 3, keyword_rank: 1 })
  t.same(fused[1], { chunk_id: 'a', score: 1 / 61, vector_rank: 1, keyword_rank: null })
  t.same(fused[3], { chunk_id: 'd', score: 1 / 62, vector_rank: null, keyword_rank: 2 })
})

t.test('k is configurable and validated; limit cuts the list', async (t) => {
  const fused = reciprocalRankFusion({ vector: ['a'], keyword: ['b', 'a'] }, { k: 1 })
  t.equal(fused[0]?.score, 1 / 2 + 1 / 3)
  t.equal(reciprocalRankFusion({ vector: ['a', 'b', 'c'] }, { limit: 2 }).length, 2)
  t.throws(() => reciprocalRankFusion({ vector: ['a'] }, { k: 0 }), RangeError)
  t.throws(() => reciprocalRankFusion({ vector: ['a'] }, { k: Number.NaN }), RangeError)
  t.same(reciprocalRankFusion({}), [])
})

t.test('ties break by best single rank, then vector first, then id', async (t) => {
  const fused = reciprocalRankFusion({ vector: ['v1', 'v2'], keyword: ['k1', 'k2'] })
  t.same(fused.map((r) => r.chunk_id), ['v1', 'k1', 'v2', 'k2'])
  const same = reciprocalRankFusion({ vector: ['x', 'y'], keyword: ['y', 'x'] })
  t.same(same.map((r) => r.chunk_id), ['x', 'y'], 'equal scores and ranks: vector rank decides')
  t.equal(reciprocalRankFusion({ vector: ['a', 'a', 'b'] })[0]?.vector_rank, 1, 'a repeated id keeps its first rank')
})

t.test('property: the order never depends on the order lists arrive or on duplicates', async (t) => {
  const ids = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), { maxLength: 7 })
  fc.assert(fc.property(ids, ids, fc.integer({ min: 1, max: 100 }), (vector, keyword, k) => {
    const fused = reciprocalRankFusion({ vector, keyword }, { k })
    const again = reciprocalRankFusion({ keyword: [...keyword, ...keyword], vector }, { k })
    const distinct = new Set([...vector, ...keyword]).size
    const sorted = fused.every((r, i) => i === 0 || (fused[i - 1]?.score ?? 0) >= r.score)
    return JSON.stringify(fused) === JSON.stringify(again) && fused.length === distinct && sorted
  }), { numRuns: 500, seed: 3 })
  t.pass('500 random pairs of lists')
})

t.test('weighted fusion: a list with weight w contributes w / (k + rank)', async (t) => {
  const fused = reciprocalRankFusion({ vector: ['a', 'b'], keyword: ['b', 'a'] }, { k: 10, weights: { keyword: 2 } })
  t.equal(fused[0]?.chunk_id, 'b', 'the keyword ranking decides a tie of ranks')
  t.equal(fused[0]?.score, 1 / 12 + 2 / 11)
})
