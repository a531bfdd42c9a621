import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from '../lib/paths.js'
import { configTable } from '../tools/config-table.js'

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }

t.test('the README opens with the install-and-start and the test commands', async (t) => {
  const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? ''
  t.match(firstBlock, /^npm ci && npm start\b/m)
  t.match(firstBlock, /^npm test\b/m)
  t.ok(pkg.scripts.start && pkg.scripts.test && pkg.scripts.prepare, 'start, test and prepare exist')
})

t.test('the configuration table is the schema\'s', async (t) => {
  t.ok(readme.includes(configTable()), 'README matches `npx tsx tools/config-table.ts`')
})

t.test('every npm script the README names exists', async (t) => {
  const named = [...readme.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1] as string)
  const listed = [...readme.matchAll(/`(bench:[\w-]+)`/g)].map((m) => m[1] as string)
  for (const script of new Set([...named, ...listed])) t.ok(pkg.scripts[script], `npm run ${script}`)
})
