/**
 * Multinomial logistic regression by full-batch gradient descent with L2 and class weights: enough for a few thousand
 * rows of a few hundred features, and small enough to read. The steps are Adam's (a per-weight step size from the
 * gradient's running moments): plain steps crawl along a sentence vector's small components and stopped far from the
 * optimum in 500 iterations. The last feature of every row is expected to be a constant 1 (the bias), which is
 * regularised like the rest.
 */

export interface TrainOptions {
  classes: number
  l2: number
  iterations: number
  learningRate: number
  /** Weight of each row: (rows / (classes × rows of its class)) ** classBalance; 0 weighs every row alike, 1 balances classes fully. */
  classBalance: number
}

export interface Dataset {
  /** Row-major, `rows × features`. */
  x: Float64Array
  y: Int32Array
  features: number
}

/** Probabilities of every class for every row: row-major, `rows × classes`. */
export function predict (weights: Float64Array, data: Dataset, classes: number): Float64Array {
  const rows = data.y.length
  const d = data.features
  const out = new Float64Array(rows * classes)
  for (let r = 0; r < rows; r++) {
    let max = Number.NEGATIVE_INFINITY
    for (let k = 0; k < classes; k++) {
      let s = 0
      for (let i = 0, xo = r * d, wo = k * d; i < d; i++) s += (data.x[xo + i] as number) * (weights[wo + i] as number)
      out[r * classes + k] = s
      if (s > max) max = s
    }
    let total = 0
    for (let k = 0; k < classes; k++) {
      const e = Math.exp((out[r * classes + k] as number) - max)
      out[r * classes + k] = e
      total += e
    }
    for (let k = 0; k < classes; k++) out[r * classes + k] = (out[r * classes + k] as number) / total
  }
  return out
}

export function rowWeights (y: Int32Array, classes: number, balance: number): Float64Array {
  const counts = Array.from({ length: classes }, () => 0)
  for (const c of y) counts[c] = (counts[c] as number) + 1
  return Float64Array.from(y, (c) => (y.length / (classes * Math.max(1, counts[c] as number))) ** balance)
}

const ADAM_BETA1 = 0.9
const ADAM_BETA2 = 0.999

/** Weights, row-major `classes × features`. Deterministic: starts from zero. */
export function train (data: Dataset, options: TrainOptions): Float64Array {
  const { classes: K, l2, iterations, learningRate } = options
  const d = data.features
  const rows = data.y.length
  const rw = rowWeights(data.y, K, options.classBalance)
  const totalWeight = rw.reduce((a, b) => a + b, 0)
  const w = new Float64Array(K * d)
  const grad = new Float64Array(K * d)
  const m = new Float64Array(K * d)
  const v = new Float64Array(K * d)
  for (let it = 0; it < iterations; it++) {
    const p = predict(w, data, K)
    grad.fill(0)
    for (let r = 0; r < rows; r++) {
      const scale = (rw[r] as number) / totalWeight
      for (let k = 0; k < K; k++) {
        const err = ((p[r * K + k] as number) - (data.y[r] === k ? 1 : 0)) * scale
        if (err === 0) continue
        for (let i = 0, xo = r * d, go = k * d; i < d; i++) grad[go + i] = (grad[go + i] as number) + err * (data.x[xo + i] as number)
      }
    }
    const c1 = 1 - ADAM_BETA1 ** (it + 1)
    const c2 = 1 - ADAM_BETA2 ** (it + 1)
    for (let i = 0; i < w.length; i++) {
      const g = (grad[i] as number) + l2 * (w[i] as number)
      m[i] = ADAM_BETA1 * (m[i] as number) + (1 - ADAM_BETA1) * g
      v[i] = ADAM_BETA2 * (v[i] as number) + (1 - ADAM_BETA2) * g * g
      w[i] = (w[i] as number) - learningRate * ((m[i] as number) / c1) / (Math.sqrt((v[i] as number) / c2) + 1e-8)
    }
  }
  return w
}
