import type { ProbeReport } from './probe.js'

/**
 * The weekly memory review: the `/memory` figures of the daily probe reports (their JSON artifacts)
 * in time order, and the RSS trend as a least-squares slope in MB per day.
 */

export interface MemoryPoint { at: string, rss_mb: number, heap_used_mb: number, utilization: number }

export interface MemoryTrend {
  points: number
  days: number
  first_mb: number
  last_mb: number
  min_mb: number
  max_mb: number
  /** Least-squares slope of RSS over time; 0 with fewer than two points. */
  slope_mb_per_day: number
}

const DAY_MS = 86_400_000

export function memoryPoints (reports: ReadonlyArray<Pick<ProbeReport, 'at' | 'figures'>>): MemoryPoint[] {
  return reports
    .map((r) => ({
      at: r.at,
      rss_mb: r.figures.memory.rss_mb,
      heap_used_mb: r.figures.memory.heap_used_mb,
      utilization: r.figures.memory.utilization
    }))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
}

export function memoryTrend (points: readonly MemoryPoint[]): MemoryTrend {
  if (points.length === 0) throw new Error('no probe reports to make a trend from')
  const t0 = Date.parse((points[0] as MemoryPoint).at)
  const xs = points.map((p) => (Date.parse(p.at) - t0) / DAY_MS)
  const ys = points.map((p) => p.rss_mb)
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length
  const mx = mean(xs)
  const my = mean(ys)
  const sxx = xs.reduce((acc, x) => acc + (x - mx) ** 2, 0)
  const sxy = xs.reduce((acc, x, i) => acc + (x - mx) * ((ys[i] as number) - my), 0)
  const round2 = (n: number): number => Math.round(n * 100) / 100
  return {
    points: points.length,
    days: round2(xs.at(-1) as number),
    first_mb: ys[0] as number,
    last_mb: ys.at(-1) as number,
    min_mb: Math.min(...ys),
    max_mb: Math.max(...ys),
    slope_mb_per_day: sxx === 0 ? 0 : round2(sxy / sxx)
  }
}

export function trendMarkdown (points: readonly MemoryPoint[], trend: MemoryTrend, limitMbPerDay?: number): string {
  const verdict = limitMbPerDay === undefined
    ? 'no threshold set'
    : `${trend.slope_mb_per_day <= limitMbPerDay ? 'within' : '**over**'} the threshold of ${limitMbPerDay} MB/day`
  return [
    '## Memory over the week',
    '',
    `${trend.points} daily probes over ${trend.days} days: ` +
    `RSS ${trend.first_mb} → ${trend.last_mb} MB (min ${trend.min_mb}, max ${trend.max_mb}), ` +
      `trend ${trend.slope_mb_per_day >= 0 ? '+' : ''}${trend.slope_mb_per_day} MB/day, ${verdict}.`,
    '',
    '| probe | RSS MB | heap used MB | utilisation |',
    '| --- | --: | --: | --: |',
    ...points.map((p) => `| ${p.at} | ${p.rss_mb} | ${p.heap_used_mb} | ${(p.utilization * 100).toFixed(1)}% |`),
    ''
  ].join('\n')
}
