import t from 'tap'
import { formatMinCosine, MIN_COSINE, verifyModel } from '../../tools/verify-model.js'

t.test('the converted model matches the TF.js reference: identical token ids, cosine >= 0.9999', async (t) => {
  const report = await verifyModel()
  t.ok(report.sentences >= 50, `${report.sentences} sentences`)
  t.same(report.tokenMismatches, [], 'token ids identical')
  t.ok(report.minCosine >= MIN_COSINE, `min cosine ${report.minCosine} (worst: ${JSON.stringify(report.worst)})`)
  t.equal(report.passed, true)
  t.match(formatMinCosine(report.minCosine), /^min_cosine=(0\.9999\d\d|1\.000000)$/)
})

t.test('the printed figure rounds down', async (t) => {
  t.equal(formatMinCosine(0.99999996), 'min_cosine=0.999999')
  t.equal(formatMinCosine(0.9998), 'min_cosine=0.999800')
})
