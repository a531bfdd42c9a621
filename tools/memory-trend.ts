/**
 * The weekly memory review: `npm run probe:trend -- <folder>...` reads the daily probe reports
 * (the JSON files `npm run probe -- --json` writes, e.g. downloaded artifacts), prints the RSS of
 * each and the trend in MB per day as Markdown, and exits 1 when the trend is over
 * `memory_trend_mb_per_day` in bench/probe-thresholds.json (2 when there is nothing to read).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { memoryPoints, memoryTrend, trendMarkdown } from './lib/memory-trend.js'
import { parseThresholds, TREND_THRESHOLD, type ProbeReport } from './lib/probe.js'
import { DEFAULT_THRESHOLDS } from './probe.js'

function jsonFiles (path: string): string[] {
  if (!statSync(path).isDirectory()) return path.endsWith('.json') ? [path] : []
  return readdirSync(path).flatMap((name) => jsonFiles(join(path, name)))
}

function isProbeReport (value: unknown): value is ProbeReport {
  const v = value as Partial<ProbeReport> | null
  return typeof v?.at === 'string' && typeof v.figures?.memory?.rss_mb === 'number'
}

export function memoryTrendCli (argv: string[], out: (text: string) => void, err: (text: string) => void): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { thresholds: { type: 'string', default: DEFAULT_THRESHOLDS } }
  })
  const reports = positionals.flatMap(jsonFiles).map((file) => JSON.parse(readFileSync(file, 'utf8')) as unknown).filter(isProbeReport)
  if (reports.length === 0) {
    err(`memory-trend: no probe reports in ${positionals.join(', ') || '(no folder given)'}`)
    return 2
  }
  const limit = parseThresholds(readFileSync(values.thresholds, 'utf8'))[TREND_THRESHOLD]
  const points = memoryPoints(reports)
  const trend = memoryTrend(points)
  out(trendMarkdown(points, trend, limit))
  return limit !== undefined && trend.slope_mb_per_day > limit ? 1 : 0
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = memoryTrendCli(process.argv.slice(2), (t) => console.log(t), (t) => console.error(t))
}
