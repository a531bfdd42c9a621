/** Scales `v` in place to unit length (a zero vector stays zero) and returns it. */
export function l2Normalize (v: Float32Array): Float32Array {
  let sum = 0
  for (let i = 0; i < v.length; i++) sum += (v[i] as number) * (v[i] as number)
  const norm = Math.sqrt(sum)
  if (norm === 0) return v
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm
  return v
}

export function dot (a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`vector lengths differ: ${a.length} and ${b.length}`)
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number)
  return sum
}

/** Cosine similarity of two vectors of any length. */
export function cosine (a: Float32Array, b: Float32Array): number {
  const denominator = Math.sqrt(dot(a, a) * dot(b, b))
  return denominator === 0 ? 0 : dot(a, b) / denominator
}
