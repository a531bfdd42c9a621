import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { memoryPoints, memoryTrend } from '../../tools/lib/memory-trend.js'
import { repoRoot } from '../../lib/paths.js'
import {
  checkThresholds,
  parseThresholds,
  THRESHOLD_NAMES,
  TREND_THRESHOLD,
  type ProbeFigures,
  type ProbeReport
} from '../../tools/lib/probe.js'
import { memoryTrendCli } from '../../tools/memory-trend.js'
import { probeCli } from '../../tools/probe.js'
import { build, sharedEmbedder } from '../helper.js'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'probe-test-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** `npm run probe -- ...` exactly as the maintenance workflow runs it; never rejects. */
async function npmProbe (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      'npm',
      ['run', '--silent', 'probe', '--', ...args],
      { cwd: repoRoot, env: { ...process.env, SMOKE_API_KEY: '' } }
    )
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code?: number, stdout?: string, stderr?: string }
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

function thresholdsFile (name: string, thresholds: Record<string, number>): string {
  const file = join(dir, name)
  writeFileSync(file, JSON.stringify(thresholds))
  return file
}

// One real instance (extractive answers, no LLM) on a real port for every case that probes;
// load shedding is not under test, and a busy test machine must not trigger it.
const quiet = { OPENROUTER_API_KEY: '', MAX_EVENT_LOOP_DELAY_MS: 0 }
const app = await build(t, quiet, { embedder: sharedEmbedder() })
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
if (address === null || typeof address === 'string') throw new Error('no port')
const base = `http://127.0.0.1:${address.port}`
// Limits any test machine meets whatever its load (the test process is no production server):
// the verdict is under test, not the speed; the committed limits are for production.
const generous = thresholdsFile(
  'generous.json',
  { search_p95_ms: 60_000, chat_p95_ms: 60_000, search_errors: 0, chat_errors: 0, memory_rss_mb: 4096, memory_utilization: 1 }
)

t.test('npm run probe against a local instance prints the report and exits 0 when every figure is within its threshold', async (t) => {
  const json = join(dir, 'report.json')
  const result = await npmProbe([base, '--rounds', '1', '--json', json, '--thresholds', generous])
  t.equal(result.code, 0, result.code === 0 ? 'exit 0' : result.stdout + result.stderr)
  t.match(result.stdout, new RegExp(`^## Performance probe of ${base}$`, 'm'))
  t.match(result.stdout, /\| `POST \/search` \| 10 \| 0 \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/)
  t.match(result.stdout, /\| `POST \/chat` \(extractive 3\) \| 3 \| 0 \|/)
  t.match(result.stdout, /Memory: RSS [\d.]+ MB of [\d.]+ MB \(utilisation [\d.]+%\)/)
  t.match(result.stdout, /\| search_p95_ms \| [\d.]+ \| 60000 \| ok \|/)
  t.match(result.stdout, /\| search_p50_ms \| [\d.]+ \| – \| not checked \|/)
  t.match(result.stdout, /every figure within its threshold/)
  const report = JSON.parse(readFileSync(json, 'utf8')) as ProbeReport
  t.equal(report.ok, true)
  t.equal(report.figures.search.requests, 10)
  t.ok(report.figures.search.p50_ms > 0 && report.figures.search.p95_ms >= report.figures.search.p50_ms, 'p95 >= p50 > 0')
  t.ok(report.figures.memory.rss_mb > 0)
})

// The exit code is the CLI's return value (tools/probe.ts sets process.exitCode to it; npm run passed 0 through above):
// run in this process, without another npm, tsx and node.
t.test('the probe exits 1 when a threshold is set below the measured figure', async (t) => {
  const strict = thresholdsFile('strict.json', { search_p50_ms: 0.001, memory_rss_mb: 1 })
  const out: string[] = []
  const keep = (text: string): void => { out.push(text) }
  const code = await probeCli([base, '--rounds', '1', '--thresholds', strict], { SMOKE_API_KEY: '' }, keep, keep)
  const stdout = out.join('\n')
  t.equal(code, 1)
  t.match(stdout, /FAILED: a figure is over its threshold/)
  t.match(stdout, /\| search_p50_ms \| [\d.]+ \| 0\.001 \| \*\*over\*\* \|/)
  t.match(stdout, /\| memory_rss_mb \| [\d.]+ \| 1 \| \*\*over\*\* \|/)
  t.match(stdout, /\| chat_p95_ms \| [\d.]+ \| – \| not checked \|/)
})

t.test('bad usage exits 2, an unreachable instance 1, an API key is sent', async (t) => {
  const lines: string[] = []
  const keep = (text: string): void => { lines.push(text) }
  t.equal(await probeCli([], {}, keep, keep), 2)
  t.match(lines.join('\n'), /missing base URL[\s\S]*usage: npm run probe/)
  t.equal(await probeCli(['ftp://x'], {}, keep, keep), 2)
  t.equal(await probeCli([base, '--rounds', 'many'], {}, keep, keep), 2)
  t.equal(await probeCli([base, '--thresholds', thresholdsFile('typo.json', { search_p59_ms: 1 })], {}, keep, keep), 2)
  t.match(lines.at(-1), /unknown threshold "search_p59_ms"/)
  t.equal(await probeCli(['http://127.0.0.1:1', '--rounds', '1'], {}, keep, keep), 1)
  t.match(lines.at(-1), /could not be probed: .*ECONNREFUSED/)

  const keyed = await build(t, { ...quiet, API_KEYS: 'probe-key' }, { embedder: sharedEmbedder() })
  await keyed.listen({ port: 0, host: '127.0.0.1' })
  const keyedAddress = keyed.server.address()
  const keyedBase = typeof keyedAddress === 'object' && keyedAddress ? `http://127.0.0.1:${keyedAddress.port}` : ''
  const markdown = join(dir, 'keyed.md')
  t.equal(
    await probeCli(
      [keyedBase, '--rounds', '1', '--markdown', markdown, '--thresholds', generous],
      { SMOKE_API_KEY: 'probe-key' },
      keep,
      keep
    ),
    0,
    `SMOKE_API_KEY is sent: ${lines.at(-1) ?? ''}`
  )
  t.match(readFileSync(markdown, 'utf8'), /\| `POST \/search` \| 10 \| 0 \|/)
  t.equal(
    await probeCli([keyedBase, '--rounds', '1', '--thresholds', generous], {}, keep, keep),
    1,
    'without the key every request is refused'
  )
  t.match(lines.at(-1), /\| search_errors \| 10 \| 0 \| \*\*over\*\* \|/)
})

t.test('the committed thresholds name every figure, and a figure at its limit passes', async (t) => {
  const committed = parseThresholds(readFileSync(join(repoRoot, 'bench', 'probe-thresholds.json'), 'utf8'))
  for (const name of [...THRESHOLD_NAMES, TREND_THRESHOLD]) t.type(committed[name], 'number', name)
  t.throws(() => parseThresholds('{"search_p95_ms": "fast"}'), /must be a number/)
  t.throws(() => parseThresholds('[]'), /JSON object/)
  const figures: ProbeFigures = {
    search: { requests: 10, errors: 0, p50_ms: 5, p95_ms: 9, max_ms: 9 },
    chat: { requests: 3, errors: 0, p50_ms: 20, p95_ms: 30, max_ms: 30, modes: { extractive: 3 } },
    memory: { rss_mb: 140, heap_used_mb: 30, external_mb: 5, limit_mb: 512, utilization: 0.27 }
  }
  const checks = checkThresholds(figures, { search_p95_ms: 9, memory_rss_mb: 139.9 })
  t.same(checks.filter((c) => c.limit !== undefined).map((c) => [c.name, c.ok]), [['search_p95_ms', true], ['memory_rss_mb', false]])
})

function dailyReport (day: number, rss: number): Pick<ProbeReport, 'at' | 'figures'> {
  return {
    at: new Date(Date.UTC(2026, 10, day, 6)).toISOString(),
    figures: {
      search: { requests: 30, errors: 0, p50_ms: 5, p95_ms: 9, max_ms: 12 },
      chat: { requests: 9, errors: 0, p50_ms: 20, p95_ms: 30, max_ms: 31, modes: { llm: 9 } },
      memory: { rss_mb: rss, heap_used_mb: 30, external_mb: 5, limit_mb: 512, utilization: rss / 512 }
    }
  }
}

t.test('the weekly memory trend: a least-squares slope in MB per day over the daily reports', async (t) => {
  const flat = memoryTrend(memoryPoints([3, 1, 2, 4, 5, 6, 7].map((day) => dailyReport(day, 140 + (day % 2) * 0.5))))
  t.equal(flat.points, 7)
  t.equal(flat.days, 6)
  t.ok(Math.abs(flat.slope_mb_per_day) < 0.2, `flat: ${flat.slope_mb_per_day} MB/day`)
  const creeping = memoryTrend(memoryPoints([1, 2, 3, 4, 5, 6, 7].map((day) => dailyReport(day, 130 + day * 3))))
  t.equal(creeping.slope_mb_per_day, 3)
  t.same([creeping.first_mb, creeping.last_mb, creeping.min_mb, creeping.max_mb], [133, 151, 133, 151])
  t.equal(memoryTrend(memoryPoints([dailyReport(1, 140)])).slope_mb_per_day, 0, 'one report: no trend')

  const folder = join(dir, 'artifacts')
  for (const [i, day] of [1, 2, 3, 4, 5, 6, 7].entries()) {
    mkdirSync(join(folder, `probe-${i}`), { recursive: true })
    writeFileSync(join(folder, `probe-${i}`, 'probe-report.json'), JSON.stringify(dailyReport(day, 130 + day * 3)))
  }
  writeFileSync(join(folder, 'unrelated.json'), '{"not": "a report"}')
  const lines: string[] = []
  const keep = (text: string): void => { lines.push(text) }
  t.equal(memoryTrendCli([folder], keep, keep), 1, 'a 3 MB/day creep is over the committed 2 MB/day')
  t.match(
    lines.at(-1),
    /7 daily probes over 6 days: RSS 133 → 151 MB \(min 133, max 151\), trend \+3 MB\/day, \*\*over\*\* the threshold of 2 MB\/day/
  )
  t.match(lines.at(-1), /\| 2026-11-07T06:00:00\.000Z \| 151 \| 30 \| 29\.5% \|/)
  t.equal(memoryTrendCli([folder, '--thresholds', thresholdsFile('loose.json', { memory_trend_mb_per_day: 5 })], keep, keep), 0)
  t.equal(memoryTrendCli([join(dir, 'strict.json')], keep, keep), 2, 'no probe reports: nothing to judge')
})
