import t from 'tap'
import { formatMinCosine, INT8_MIN_COSINE, MIN_COSINE, verifyModel } from '../../tools/verify-model.js'

t.test('the converted model matches the TF.js reference: identical token ids; float conversion >= 0.9999, int8 model >= 0.998', async (
  t
) => {
  const report = await verifyModel()
  t.ok(report.sentences >= 50, `${report.sentences} sentences`)
  t.same(report.tokenMismatches, [], 'token ids identical')
  t.ok(report.floatMinCosine >= MIN_COSINE, `float conversion: min cosine ${report.floatMinCosine}`)
  t.equal(report.threshold, INT8_MIN_COSINE, 'the installed model stores int8 weights')
  t.ok(report.minCosine >= INT8_MIN_COSINE, `int8 model: min cosine ${report.minCosine} (worst: ${JSON.stringify(report.worst)})`)
  t.ok(report.minCosine < 1, 'int8 storage is not lossless: the check compares the installed model, not the float one')
  t.equal(report.passed, true)
  t.match(formatMinCosine(report.minCosine), /^min_cosine=0\.99[89]\d{3}$/)
})

t.test('the printed figure rounds down', async (t) => {
  t.equal(formatMinCosine(0.99999996), 'min_cosine=0.999999')
  t.equal(formatMinCosine(0.9998), 'min_cosine=0.999800')
})
