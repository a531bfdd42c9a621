/**
 * Post-deployment validation of a running instance: `npm run smoke -- <base-url> [options]`.
 * Prints one line per check and a summary; exits 1 when any check fails, 2 on bad usage.
 */
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import {
  DEFAULT_MAX_MEMORY_UTILIZATION,
  DEFAULT_SEARCH_P95_MS,
  formatCheck,
  formatSummary,
  runSmoke,
  type SmokeOptions
} from './lib/smoke-checks.js'

const USAGE = `usage: npm run smoke -- <base-url> [options]
  --api-key KEY                 sent as Authorization: Bearer (default: env SMOKE_API_KEY)
  --search-p95-ms N             p95 limit for warm POST /search (default ${DEFAULT_SEARCH_P95_MS})
  --max-memory-utilization F    /memory utilisation limit, 0-1 (default ${DEFAULT_MAX_MEMORY_UTILIZATION})
  --min-documents N             documents /documents must list (default 1)
  --rounds N                    passes over the search questions (default 2)
  --timeout-ms N                per-request limit (default 30000)
  --expect-mode llm|extractive|any   chat answer mode to require (default any)
  --json                        also print the whole report as one JSON line at the end
base-url may also come from env SMOKE_BASE_URL.`

class UsageError extends Error {}
class HelpRequested extends Error {}

function parseSmokeArgs (argv: string[], env: NodeJS.ProcessEnv): { baseUrl: string, options: SmokeOptions, json: boolean } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'api-key': { type: 'string' },
      'search-p95-ms': { type: 'string' },
      'max-memory-utilization': { type: 'string' },
      'min-documents': { type: 'string' },
      rounds: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'expect-mode': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  if (values.help) throw new HelpRequested()
  const baseUrl = positionals[0] ?? env.SMOKE_BASE_URL ?? ''
  if (!/^https?:\/\/[^/]/.test(baseUrl)) throw new UsageError(baseUrl ? `not an http(s) URL: ${baseUrl}` : 'missing base URL')
  const mode = values['expect-mode'] ?? 'any'
  if (mode !== 'llm' && mode !== 'extractive' && mode !== 'any') {
    throw new UsageError(`--expect-mode must be llm, extractive or any (got ${mode})`)
  }
  const apiKey = values['api-key'] ?? env.SMOKE_API_KEY
  const options: SmokeOptions = {
    ...(apiKey ? { apiKey } : {}),
    searchP95Ms: numberOption(values['search-p95-ms'], '--search-p95-ms', DEFAULT_SEARCH_P95_MS),
    maxMemoryUtilization: numberOption(values['max-memory-utilization'], '--max-memory-utilization', DEFAULT_MAX_MEMORY_UTILIZATION),
    minDocuments: numberOption(values['min-documents'], '--min-documents', 1),
    searchRounds: numberOption(values.rounds, '--rounds', 2),
    timeoutMs: numberOption(values['timeout-ms'], '--timeout-ms', 30_000),
    expectChatMode: mode
  }
  return { baseUrl, options, json: values.json }
}

function numberOption (raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${name} must be a positive number (got ${raw})`)
  return value
}

/** The whole CLI; exported so that tests can check usage errors without a process each. */
export async function smokeCli (
  argv: string[], env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void
): Promise<number> {
  let parsed
  try {
    parsed = parseSmokeArgs(argv, env)
  } catch (e) {
    if (e instanceof HelpRequested) {
      out(USAGE)
      return 0
    }
    if (!(e instanceof UsageError) && !(e instanceof TypeError)) throw e
    err(e.message)
    err(USAGE)
    return 2
  }
  out(`smoke: checking ${parsed.baseUrl}${parsed.options.apiKey ? ' (with an API key)' : ''}`)
  const report = await runSmoke(parsed.baseUrl, { ...parsed.options, onCheck: (check) => out(formatCheck(check)) })
  out(formatSummary(report))
  if (parsed.json) out(JSON.stringify(report))
  return report.ok ? 0 : 1
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await smokeCli(process.argv.slice(2), process.env, (line) => console.log(line), (line) => console.error(line))
}
