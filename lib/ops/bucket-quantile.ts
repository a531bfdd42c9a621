export interface Bucket { le: number, count: number }

/**
 * The q-quantile of a cumulative histogram, interpolated inside the bucket the way
 * Prometheus's histogram_quantile does. Returns null for an empty histogram.
 */
export function bucketQuantile (buckets: readonly Bucket[], q: number): number | null {
  const sorted = [...buckets].sort((a, b) => a.le - b.le)
  const total = sorted.at(-1)?.count ?? 0
  if (total === 0) return null
  const rank = q * total
  let lowerBound = 0
  let lowerCount = 0
  for (const bucket of sorted) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) return lowerBound
      const inBucket = bucket.count - lowerCount
      return inBucket === 0 ? bucket.le : lowerBound + (bucket.le - lowerBound) * ((rank - lowerCount) / inBucket)
    }
    lowerBound = bucket.le
    lowerCount = bucket.count
  }
  return lowerBound
}
