import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { programArgs } from '../helpers/program.js'
import type { AppConfig } from '../../lib/config.js'
import { repoRoot as root } from '../../lib/paths.js'
import {
  CHAT_QUESTIONS,
  citationProblems,
  formatCheck,
  formatSummary,
  percentile,
  referencedIds,
  runSmoke
} from '../../tools/lib/smoke-checks.js'
import { startFakeLlmServer } from '../../tools/lib/fake-llm-server.js'
import { build, sharedEmbedder } from '../helper.js'
import { smokeCli } from '../../tools/smoke.js'

const run = promisify(execFile)


/**
 * The real app on a real loopback port; load shedding is not under test, so a busy machine cannot trigger it. The
 * instances share one model: the smoke checks ask each the same questions.
 */
async function serve (t: Test, config: Partial<AppConfig> = {}): Promise<string> {
  const app = await build(t, { OPENROUTER_API_KEY: '', MAX_EVENT_LOOP_DELAY_MS: 0, ...config }, { embedder: sharedEmbedder() })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return `http://127.0.0.1:${address.port}`
}

/** The CLI as the deploy workflow runs it; resolves with its exit code and output, never rejects. */
async function cli (args: string[], env: Record<string, string> = {}): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...programArgs('tools/smoke'), ...args], {
      cwd: root,
      env: { ...process.env, SMOKE_API_KEY: '', SMOKE_BASE_URL: '', ...env }
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code?: number, stdout?: string, stderr?: string }
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

// Instances shared by the cases that only read from them.
const plain = await serve(t)
const missingIndex = await serve(t, { VECTOR_STORE_PATH: join(root, 'index-data', 'no-such-index.sqlite') })
const keyed = await serve(t, { API_KEYS: 'smoke-key-one,smoke-key-two' })

const failing = (report: { checks: Array<{ ok: boolean, name: string, detail: string }> }): string =>
  report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join('\n') || 'none'

t.test('citation markers and their checks', async (t) => {
  t.same(referencedIds('Up to 5 days [1]. Ask HR [2][3], see [1, 4]. Not [x] or [].'), [1, 2, 3, 1, 4])
  const citations = [
    { id: 1, chunk_id: 'pto-policy#2', document_id: 'pto-policy' },
    { id: 2, chunk_id: 'pto-policy#3', document_id: 'pto-policy' }
  ]
  t.same(citationProblems('Yes [1], and [2].', citations), [])
  t.same(citationProblems('Yes [1] and [3].', citations), ['[3] not in citations (ids 1, 2)'])
  t.same(citationProblems('Yes.', citations), ['no [n] marker in the answer'])
  t.same(citationProblems('Yes [1].', []), ['no citations', '[1] not in citations (ids none)'])
  t.same(citationProblems('Yes [1].', [{ id: 1 }]), ['1 citations without chunk_id or document_id'])
})

t.test('percentile by nearest rank', async (t) => {
  const values = Array.from({ length: 20 }, (_, i) => i + 1)
  t.equal(percentile(values, 50), 10)
  t.equal(percentile(values, 95), 19)
  t.equal(percentile(values, 100), 20)
  t.equal(percentile([7], 95), 7)
  t.equal(percentile([], 95), 0)
})

t.test('a working instance without an LLM passes every check, chat answering extractively', async (t) => {
  const base = plain
  const lines: string[] = []
  const report = await runSmoke(base, { searchRounds: 1, expectChatMode: 'extractive', onCheck: (c) => lines.push(formatCheck(c)) })
  t.ok(report.ok, `failing checks: ${failing(report)}`)
  t.same(report.checks.map((c) => c.name), [
    'health', 'memory', 'documents', 'search first query', 'search latency',
    ...CHAT_QUESTIONS.map((q) => `chat "${q}"`)
  ])
  t.equal(lines.length, report.checks.length, 'one line per check, as each completes')
  t.match(lines[0], /^PASS {2}health: (healthy|degraded) vector_store=operational/)
  t.match(report.checks[2]?.detail, /^\d+ documents, \d+ chunks, 7 categories$/)
  t.match(report.checks[4]?.detail, /^10\/10 answered, p50 [\d.]+ ms, p95 [\d.]+ ms \(limit 1000 ms\)$/)
  for (const chat of report.checks.slice(5)) t.match(chat.detail, /^extractive, \d+ citations, \d+ markers/)
  t.match(formatSummary(report), /^smoke passed: 8 passed, 0 failed against http:\/\/127\.0\.0\.1:\d+ in [\d.]+ s$/)
})

t.test('a working instance fails a p95 limit it cannot meet, and a mode it does not run in', async (t) => {
  const base = plain
  const report = await runSmoke(
    base,
    { searchRounds: 1, searchP95Ms: 0.001, expectChatMode: 'llm', chatQuestions: [CHAT_QUESTIONS[0] as string] }
  )
  t.notOk(report.ok)
  const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]))
  t.notOk(byName['search latency']?.ok)
  t.match(byName['search latency']?.detail, /p95 [\d.]+ ms \(limit 0\.001 ms\)/)
  t.match(report.checks.at(-1)?.detail, /^mode extractive, expected llm/)
})

t.test('an LLM-backed instance passes with written answers and their citations', async (t) => {
  const llm = await startFakeLlmServer({ default: { text: 'You get 25 days of paid time off a year [1].' } })
  t.teardown(() => llm.close())
  const base = await serve(t, { OPENROUTER_API_KEY: 'sk-test-smoke', LLM_BASE_URL: llm.url })
  const report = await runSmoke(base, { searchRounds: 1, expectChatMode: 'llm' })
  t.ok(report.ok, `failing checks: ${failing(report)}`)
  for (const chat of report.checks.slice(5)) t.match(chat.detail, /^llm, \d+ citations, 1 markers/)
  t.ok(llm.requests.length >= CHAT_QUESTIONS.length, 'the LLM was asked')
})

t.test('an instance whose index is missing fails, saying where', async (t) => {
  const report = await runSmoke(missingIndex, { searchRounds: 1, timeoutMs: 5000 })
  t.notOk(report.ok)
  const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]))
  t.notOk(byName.health?.ok)
  t.match(byName.health?.detail, /HTTP 503; status unhealthy .*vector_store=unavailable/)
  t.notOk(byName.documents?.ok, 'no corpus to list')
  t.notOk(byName['search first query']?.ok)
  t.ok(byName.memory?.ok, 'memory is still fine')
  t.match(formatSummary(report), /^smoke FAILED: 1 passed, 7 failed/)
})

t.test('with API_KEYS set, the checks need the key and pass with it', async (t) => {
  const without = await runSmoke(keyed, { searchRounds: 1, chatQuestions: [] })
  t.notOk(without.ok)
  t.match(without.checks.find((c) => c.name === 'documents')?.detail, /^HTTP 401: A valid API key is required/)
  const withKey = await runSmoke(keyed, { searchRounds: 1, chatQuestions: [CHAT_QUESTIONS[0] as string], apiKey: 'smoke-key-two' })
  t.ok(withKey.ok, `failing checks: ${failing(withKey)}`)
})

t.test('nothing listening: every check fails with the connection error', async (t) => {
  const closed = plain.replace(/:\d+$/, ':1')
  const report = await runSmoke(closed, { searchRounds: 1, chatQuestions: [] })
  t.equal(report.failed, report.checks.length)
  t.match(report.checks[0]?.detail, /ECONNREFUSED/)
})

t.test('the CLI: one line per check, a summary, and exit codes 0, 1 and 2', async (t) => {
  const good = keyed
  const bad = missingIndex

  const ok = await cli([good, '--rounds', '1', '--json'], { SMOKE_API_KEY: 'smoke-key-one' })
  t.equal(ok.code, 0, ok.code === 0 ? 'exit 0' : ok.stdout + ok.stderr)
  const lines = ok.stdout.trim().split('\n')
  t.match(lines[0], /^smoke: checking http:\/\/127\.0\.0\.1:\d+ \(with an API key\)$/)
  t.equal(lines.filter((l) => l.startsWith('PASS  ')).length, 8)
  t.match(lines.at(-2), /^smoke passed: 8 passed, 0 failed/)
  t.equal((JSON.parse(lines.at(-1) as string) as { ok: boolean }).ok, true, 'last line is the JSON report')

  const failed = await cli([bad, '--rounds=1', '--timeout-ms', '5000'])
  t.equal(failed.code, 1)
  t.match(failed.stdout, /^FAIL {2}health: HTTP 503/m)
  t.match(failed.stdout, /smoke FAILED: 1 passed, 7 failed/)

  const noKey = await cli([good, '--rounds', '1'])
  t.equal(noKey.code, 1, 'the keyed instance refuses a run without the key')

  const usage = await cli([])
  t.equal(usage.code, 2)
  t.match(usage.stderr, /missing base URL[\s\S]*usage: npm run smoke/)
  // The other usage cases in this process: the exit code path is the one just run.
  const printed: string[] = []
  const keep = (line: string): void => { printed.push(line) }
  t.equal(await smokeCli(['ftp://x'], {}, keep, keep), 2)
  t.equal(await smokeCli([good, '--search-p95-ms', 'fast'], {}, keep, keep), 2)
  t.match(printed.join('\n'), /--search-p95-ms must be a positive number \(got fast\)/)
  t.equal(await smokeCli(['--help'], {}, keep, keep), 0)
  t.match(printed.at(-1), /--api-key KEY/)
})
