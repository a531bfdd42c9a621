import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { repoRoot as root } from '../../lib/paths.js'
import { build } from '../helper.js'

// No promtool here: the rules are checked for structure, balanced brackets and known metric names.

const METRICS = new Set([
  'process_resident_memory_bytes',
  'policy_rag_memory_limit_bytes',
  'policy_rag_http_requests_total',
  'policy_rag_http_request_duration_seconds_bucket',
  'policy_rag_llm_circuit_state',
  'policy_rag_index_model_mismatch'
])

const PROMQL_WORDS = new Set([
  'sum', 'max', 'min', 'avg', 'count', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right',
  'and', 'or', 'unless', 'bool', 'offset', 'rate', 'irate', 'increase', 'histogram_quantile',
  'max_over_time', 'avg_over_time', 'min_over_time', 'clamp_min', 'clamp_max', 'absent', 'le'
])

interface Rule { alert?: unknown, expr?: unknown, for?: unknown, labels?: Record<string, unknown>, annotations?: Record<string, unknown> }
interface Group { name?: unknown, rules?: unknown }

/** First bracket problem in an expression, ignoring brackets inside quoted label values. */
function bracketProblem (expr: string): string | undefined {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' }
  const stack: string[] = []
  const text = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""')
  for (const [i, ch] of [...text].entries()) {
    if ('([{'.includes(ch)) stack.push(ch)
    else if (ch in pairs) {
      if (stack.pop() !== pairs[ch]) return `unexpected ${ch} at ${i}`
    }
  }
  return stack.length > 0 ? `unclosed ${stack.join('')}` : undefined
}

/** Names in an expression that are neither PromQL words nor label names: the metrics it reads. */
function metricNames (expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1')
    .replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, '')
  const names = bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []
  return [...new Set(names.filter((n) => !PROMQL_WORDS.has(n)))]
}

const doc = parse(readFileSync(join(root, 'docs', 'alerts.yml'), 'utf8')) as { groups?: Group[] }
const groups = Array.isArray(doc.groups) ? doc.groups : []
const rules = groups.flatMap((g) => Array.isArray(g.rules) ? g.rules as Rule[] : [])

t.test('the checks themselves catch what they are for', async (t) => {
  t.equal(bracketProblem('sum(rate(x{a="("}[5m]))'), undefined, 'brackets in a label value do not count')
  t.equal(bracketProblem('sum(rate(x[5m])'), 'unclosed (')
  t.equal(bracketProblem('sum(rate(x[5m)))'), 'unexpected ) at 13')
  t.same(metricNames('histogram_quantile(0.95, sum by (route, le) (rate(a_bucket{route="/chat"}[5m]))) > 1e3'), ['a_bucket'])
  t.same(metricNames('max by (instance) (a) / on (instance) group_left max(b) > 0.5 and c'), ['a', 'b', 'c'])
  t.same(
    metricNames('sum(rate(http_requests_totl[5m]))').filter((m) => !METRICS.has(m)),
    ['http_requests_totl'],
    'a misspelt metric is reported'
  )
})

t.test('rule groups are well formed', async (t) => {
  t.ok(groups.length > 0, 'at least one group')
  const groupNames = groups.map((g) => g.name)
  t.equal(new Set(groupNames).size, groupNames.length, 'group names are unique')
  for (const group of groups) {
    t.type(group.name, 'string')
    t.ok(Array.isArray(group.rules) && group.rules.length > 0, `${String(group.name)} has rules`)
  }
  const alertNames = rules.map((r) => r.alert)
  t.equal(new Set(alertNames).size, alertNames.length, 'alert names are unique')
  for (const rule of rules) {
    const name = String(rule.alert)
    t.match(name, /^[A-Z][A-Za-z0-9]+$/, `${name}: CamelCase alert name`)
    t.type(rule.expr, 'string', `${name}: expr`)
    t.match(String(rule.for), /^\d+[smh]$/, `${name}: for is a duration`)
    t.ok(['warning', 'critical'].includes(String(rule.labels?.severity)), `${name}: severity`)
    t.type(rule.annotations?.summary, 'string', `${name}: summary`)
    t.type(rule.annotations?.description, 'string', `${name}: description`)
    t.match(String(rule.annotations?.runbook_url), /^docs\/deploy\.md#[a-z-]+$/, `${name}: runbook link`)
  }
})

t.test('every expression balances its brackets and reads only known metrics', async (t) => {
  for (const rule of rules) {
    const expr = String(rule.expr)
    t.equal(bracketProblem(expr), undefined, `${String(rule.alert)}: brackets balance`)
    const unknown = metricNames(expr).filter((m) => !METRICS.has(m))
    t.same(unknown, [], `${String(rule.alert)}: metrics ${metricNames(expr).join(', ')}`)
    t.notMatch(expr, /\$labels|\{\{/, `${String(rule.alert)}: no templating in expr`)
  }
})

t.test('the alerts the service needs are all there', async (t) => {
  const exprs = rules.map((r) => String(r.expr))
  const has = (pattern: RegExp): boolean => exprs.some((e) => pattern.test(e))
  t.ok(has(/process_resident_memory_bytes\)?\s*\/\s*max by \(instance\) \(policy_rag_memory_limit_bytes\)/), 'memory utilisation')
  t.ok(has(/http_requests_total\{status_code=~"5\.\."\}/), 'error rate')
  t.ok(
    has(/histogram_quantile\(0\.95,\s*sum by \(route, le\) \(rate\(policy_rag_http_request_duration_seconds_bucket/),
    'p95 latency by route'
  )
  t.ok(has(/llm_circuit_state\) == 1/), 'circuit open')
  t.ok(has(/index_model_mismatch\) == 1/), 'index/model mismatch')
})

t.test('every allow-listed metric is one the service exports', async (t) => {
  const app = await build(t, { OPENROUTER_API_KEY: '' })
  await app.inject({ method: 'GET', url: '/health' })
  const res = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(res.statusCode, 200)
  const exported = new Set([...res.body.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/gm)].map((m) => m[1]))
  for (const name of METRICS) t.ok(exported.has(name), `${name} in /metrics`)
})

t.test('every runbook link points at a heading of docs/deploy.md', async (t) => {
  const runbook = readFileSync(join(root, 'docs', 'deploy.md'), 'utf8')
  const anchors = new Set([...runbook.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1] as string)))
  for (const rule of rules) {
    const anchor = String(rule.annotations?.runbook_url).split('#')[1] ?? ''
    t.ok(anchors.has(anchor), `${String(rule.alert)}: #${anchor}`)
  }
})

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function slug (heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s/g, '-')
}
