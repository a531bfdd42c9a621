/**
 * The leading principal axes of a set of vectors, by block power iteration on their covariance with Gram-Schmidt
 * after each step: enough for a few dozen axes of a few hundred dimensions, without a linear-algebra dependency.
 * Deterministic (starts from the identity's first columns).
 */
export function principalAxes (vectors: ReadonlyArray<ArrayLike<number>>, count: number, iterations = 60): Float32Array {
  const d = vectors[0]?.length ?? 0
  const n = vectors.length
  if (n === 0 || count > d) throw new Error(`principal axes: need vectors of at least ${count} dimensions`)
  const mean = new Float64Array(d)
  for (const v of vectors) for (let i = 0; i < d; i++) mean[i] = (mean[i] as number) + (v[i] as number) / n
  const cov = new Float64Array(d * d)
  const centred = new Float64Array(d)
  for (const v of vectors) {
    for (let i = 0; i < d; i++) centred[i] = (v[i] as number) - (mean[i] as number)
    for (let i = 0; i < d; i++) {
      const ci = centred[i] as number
      for (let j = i, o = i * d; j < d; j++) cov[o + j] = (cov[o + j] as number) + ci * (centred[j] as number)
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) cov[i * d + j] = cov[j * d + i] as number
  let q = new Float64Array(count * d)
  for (let c = 0; c < count; c++) q[c * d + c] = 1
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(count * d)
    for (let c = 0; c < count; c++) {
      for (let i = 0; i < d; i++) {
        let s = 0
        for (let j = 0, o = i * d, qo = c * d; j < d; j++) s += (cov[o + j] as number) * (q[qo + j] as number)
        next[c * d + i] = s
      }
    }
    orthonormalise(next, count, d)
    q = next
  }
  return Float32Array.from(q)
}

function orthonormalise (rows: Float64Array, count: number, d: number): void {
  for (let c = 0; c < count; c++) {
    for (let p = 0; p < c; p++) {
      let dot = 0
      for (let i = 0; i < d; i++) dot += (rows[c * d + i] as number) * (rows[p * d + i] as number)
      for (let i = 0; i < d; i++) rows[c * d + i] = (rows[c * d + i] as number) - dot * (rows[p * d + i] as number)
    }
    let norm = 0
    for (let i = 0; i < d; i++) norm += (rows[c * d + i] as number) ** 2
    norm = Math.sqrt(norm) || 1
    for (let i = 0; i < d; i++) rows[c * d + i] = (rows[c * d + i] as number) / norm
  }
}
