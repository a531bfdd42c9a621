import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { repoRoot } from '../lib/paths.js'

const configPath = join(repoRoot, '.dependency-cruiser.cjs')
const rules = (createRequire(import.meta.url)(configPath) as { forbidden: Array<{ name: string }> }).forbidden.map((rule) => rule.name)

interface Violation { rule: { name: string }, from: string, to: string }

// The CLI in a process of its own, as `npm run lint` runs it: its swc parser does not load under tsx.
async function cruise (cwd: string, paths: string[]): Promise<Violation[]> {
  const bin = join(repoRoot, 'node_modules', '.bin', 'depcruise')
  const args = ['--config', configPath, '--output-type', 'json', ...paths]
  const { stdout } = await promisify(execFile)(bin, args, { cwd, maxBuffer: 64 * 1024 * 1024 }).catch((err: { stdout?: string }) => {
    if (typeof err.stdout !== 'string' || err.stdout === '') throw err
    return { stdout: err.stdout }
  })
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations
}

t.test('each dependency rule fails on a deliberate violation', async (t) => {
  const violations = await cruise(join(repoRoot, 'test', 'fixtures', 'architecture'), ['lib', 'plugins', 'routes', 'tools'])
  t.ok(rules.length >= 7, 'the rules docs/architecture.md lists')
  const fired = new Set(violations.map((v) => v.rule.name))
  for (const rule of rules) t.ok(fired.has(rule), `${rule} fires`)
  const where = (rule: string): string[] => violations.filter((v) => v.rule.name === rule).map((v) => `${v.from} → ${v.to}`)
  t.same(where('route-no-other-route'), ['routes/a.js → routes/b.js'])
  t.same(where('plugins-no-routes'), ['plugins/uses-route.js → routes/a.js'])
  t.same(where('lib-no-plugins-or-routes'), ['lib/uses-plugin.js → plugins/uses-route.js'])
  t.ok(where('server-no-tools').includes('routes/b.js → tools/bench.js'), 'found through lib/helper.js, not only on a direct import')
})
