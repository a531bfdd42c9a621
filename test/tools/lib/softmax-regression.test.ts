import t from 'tap'
import { type Dataset, predict, rowWeights, train } from '../../../tools/lib/softmax-regression.js'

// Three separable clusters in 2-d, plus the constant bias feature.
function clusters (): Dataset {
  const points: Array<[number, number, number]> = []
  const centres: Array<[number, number]> = [[1, 0], [0, 1], [-1, -1]]
  centres.forEach(([cx, cy], label) => {
    for (let i = 0; i < 20; i++) points.push([cx + 0.2 * Math.sin(i * 1.7 + label), cy + 0.2 * Math.cos(i * 2.3 + label), label])
  })
  return { x: Float64Array.from(points.flatMap(([x, y]) => [x, y, 1])), y: Int32Array.from(points, (p) => p[2]), features: 3 }
}

t.test('learns separable classes and predicts probabilities', async (t) => {
  const data = clusters()
  const w = train(data, { classes: 3, l2: 1e-4, iterations: 300, learningRate: 1, classBalance: 0 })
  const p = predict(w, data, 3)
  let right = 0
  for (let r = 0; r < data.y.length; r++) {
    const row = [p[r * 3], p[r * 3 + 1], p[r * 3 + 2]] as number[]
    t.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-9)
    if (row.indexOf(Math.max(...row)) === data.y[r]) right++
  }
  t.equal(right, data.y.length)
  t.same(train(data, { classes: 3, l2: 1e-4, iterations: 300, learningRate: 1, classBalance: 0 }), w, 'deterministic')
})

t.test('class weights balance rare classes', async (t) => {
  const y = Int32Array.from([0, 0, 0, 1])
  t.same([...rowWeights(y, 2, 0)], [1, 1, 1, 1])
  const balanced = rowWeights(y, 2, 1)
  t.ok(
    Math.abs((balanced[3] as number) - 3 * (balanced[0] as number)) < 1e-12,
    'the one row of the rare class weighs as much as the three others'
  )
})

t.test('reaches the optimum when features are small, as a sentence vector\'s components are', async (t) => {
  // The same clusters shrunk tenfold: plain gradient steps of this size (0.05) would barely move in 300 iterations.
  const data = clusters()
  const small = { ...data, x: data.x.map((v, i) => (i % 3 === 2 ? v : v / 10)) }
  const w = train(small, { classes: 3, l2: 0, iterations: 300, learningRate: 0.05, classBalance: 0 })
  const p = predict(w, small, 3)
  let logLoss = 0
  for (let r = 0; r < small.y.length; r++) logLoss -= Math.log(p[r * 3 + (small.y[r] as number)] as number)
  // log 3 ≈ 1.1 is where it starts; plain steps of 0.05 stay above 1 here.
  t.ok(logLoss / small.y.length < 0.3, `mean log loss ${(logLoss / small.y.length).toFixed(3)} falls well below log 3`)
})
