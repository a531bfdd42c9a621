/**
 * `npm run bench:soak` (run `npm run build` first): the compiled server under a steady mix of
 * GET /health, POST /search and POST /chat (extractive) for --seconds (default 120) at
 * --connections (default 10), its RSS sampled every 100 ms. Reports the RSS trend over the second
 * half as MB per minute (least squares) and whether it rises; writes the "soak" section of
 * bench/results.json. Last line: JSON.
 *   npm run bench:soak -- [--seconds 120] [--connections 10] [--max-slope 1]
 */
import { markdownTable, numberFlags, percentile, round, runLoad, slope, type MixedRequest } from './bench-util.js'
import { questions, startBenchServer, writeResults } from './bench.js'

const MIX: MixedRequest[] = [
  { method: 'GET', path: '/health' },
  { method: 'POST', path: '/search', body: (n) => ({ query: questions[n % questions.length], mode: 'hybrid' }) },
  { method: 'POST', path: '/chat', body: (n) => ({ question: questions[(n * 7) % questions.length] }) },
  { method: 'POST', path: '/search', body: (n) => ({ query: questions[(n * 3) % questions.length], mode: 'keyword' }) }
]

async function main (): Promise<void> {
  const flags = numberFlags(process.argv.slice(2), { seconds: 120, connections: 10, 'max-slope': 1 })
  const running = await startBenchServer()
  try {
    const load = await runLoad({ url: running.url, connections: flags.connections, seconds: flags.seconds, mix: MIX })
    running.sampler.sample()
    const samples = running.sampler.samples
    const end = samples.at(-1)?.t_ms ?? 0
    const secondHalf = samples.filter((s) => s.t_ms >= end / 2)
    const mbPerMinute = round(slope(secondHalf.map((s) => ({ x: s.t_ms / 60_000, y: s.mb }))), 2)
    const rising = mbPerMinute > flags['max-slope']
    const rss = {
      start_mb: round(samples[0]?.mb ?? 0),
      end_mb: round(samples.at(-1)?.mb ?? 0),
      peak_mb: round(running.sampler.peak()),
      second_half_median_mb: round(percentile(secondHalf.map((s) => s.mb), 50)),
      by_quarter_mb: [0, 1, 2, 3].map((q) => round(percentile(
        samples.filter((s) => s.t_ms >= (q * end) / 4 && s.t_ms < ((q + 1) * end) / 4).map((s) => s.mb),
        50
      )))
    }
    const verdict = rising
      ? `upward trend: ${mbPerMinute} MB/min over the second half (limit ${flags['max-slope']})`
      : `no upward trend (${mbPerMinute} MB/min over the second half)`
    const result = {
      seconds: flags.seconds,
      connections: flags.connections,
      mix: MIX.map((m) => `${m.method} ${m.path}`),
      load,
      rss,
      mb_per_minute: mbPerMinute,
      trend: rising ? 'rising' : 'flat'
    }
    writeResults('soak', result)

    console.log(markdownTable([
      'requests',
      'req/s',
      'p50 ms',
      'p99 ms',
      'errors',
      'RSS start MB',
      'RSS median (2nd half) MB',
      'RSS end MB',
      'RSS peak MB',
      'MB/min (2nd half)'
    ],
      [[
        load.requests, load.rps, load.p50_ms, load.p99_ms, load.errors,
        rss.start_mb, rss.second_half_median_mb, rss.end_mb, rss.peak_mb, mbPerMinute
      ]]))
    console.log(`RSS median by quarter: ${rss.by_quarter_mb.join(' → ')} MB`)
    console.log(verdict)
    console.log(JSON.stringify(result))
    process.exitCode = rising || load.errors > 0 ? 1 : 0
  } finally {
    await running.stop()
  }
}

await main()
