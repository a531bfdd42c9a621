/**
 * The scheduled performance probe: `npm run probe -- <base-url> [options]`. Prints a Markdown
 * report (p50/p95 of POST /search and POST /chat over the fixed questions, /memory figures, each
 * checked against bench/probe-thresholds.json); exits 1 when a figure is over its threshold or the
 * instance cannot be probed, 2 on bad usage.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { repoRoot } from '../lib/paths.js'
import { parseThresholds, probeMarkdown, probeReport, runProbe } from './lib/probe.js'

export const DEFAULT_THRESHOLDS = join(repoRoot, 'bench', 'probe-thresholds.json')

const USAGE = `usage: npm run probe -- <base-url> [options]
  --thresholds FILE   limits per figure (default bench/probe-thresholds.json)
  --rounds N          passes over the fixed questions (default 3)
  --api-key KEY       sent as Authorization: Bearer (default: env SMOKE_API_KEY)
  --timeout-ms N      per-request limit (default 30000)
  --markdown FILE     also write the report there (for a job summary)
  --json FILE         also write the report as JSON (the daily artifact the weekly trend reads)`

class UsageError extends Error {}

interface ProbeArgs {
  baseUrl: string,
  thresholds: string,
  rounds: number,
  apiKey?: string,
  timeoutMs: number,
  markdown?: string,
  json?: string,
  help: boolean
}

export function parseProbeArgs (argv: string[], env: NodeJS.ProcessEnv): ProbeArgs {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        thresholds: { type: 'string', default: DEFAULT_THRESHOLDS },
        rounds: { type: 'string', default: '3' },
        'api-key': { type: 'string' },
        'timeout-ms': { type: 'string', default: '30000' },
        markdown: { type: 'string' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false }
      }
    })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const { values, positionals } = parsed
  const baseUrl = positionals[0] ?? ''
  if (!values.help && !/^https?:\/\/[^/]/.test(baseUrl)) {
    throw new UsageError(baseUrl ? `not an http(s) URL: ${baseUrl}` : 'missing base URL')
  }
  const positive = (raw: string, name: string): number => {
    const value = Number(raw)
    if (!Number.isInteger(value) || value <= 0) throw new UsageError(`${name} must be a positive integer (got ${raw})`)
    return value
  }
  const apiKey = values['api-key'] ?? env.SMOKE_API_KEY
  return {
    baseUrl,
    thresholds: values.thresholds,
    rounds: positive(values.rounds, '--rounds'),
    timeoutMs: positive(values['timeout-ms'], '--timeout-ms'),
    ...(apiKey ? { apiKey } : {}),
    ...(values.markdown ? { markdown: values.markdown } : {}),
    ...(values.json ? { json: values.json } : {}),
    help: values.help
  }
}

export async function probeCli (
  argv: string[], env: NodeJS.ProcessEnv, out: (text: string) => void, err: (text: string) => void
): Promise<number> {
  let args: ProbeArgs
  try {
    args = parseProbeArgs(argv, env)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    err(`${e.message}\n${USAGE}`)
    return 2
  }
  if (args.help) {
    out(USAGE)
    return 0
  }
  let thresholds
  try {
    thresholds = parseThresholds(readFileSync(args.thresholds, 'utf8'))
  } catch (e) {
    err(`probe: cannot use the thresholds in ${args.thresholds}: ${(e as Error).message}`)
    return 2
  }
  let figures
  try {
    figures = await runProbe(args.baseUrl, {
      rounds: args.rounds,
      timeoutMs: args.timeoutMs,
      ...(args.apiKey ? { apiKey: args.apiKey } : {})
    })
  } catch (e) {
    err(`probe: ${args.baseUrl} could not be probed: ${(e as Error).message}`)
    return 1
  }
  const report = probeReport(args.baseUrl, args.rounds, figures, thresholds)
  const markdown = probeMarkdown(report)
  out(markdown)
  if (args.markdown) writeFileSync(args.markdown, markdown)
  if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`)
  return report.ok ? 0 : 1
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await probeCli(process.argv.slice(2), process.env, (t) => console.log(t), (t) => console.error(t))
}
