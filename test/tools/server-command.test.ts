import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from '../../lib/paths.js'
import { SERVER_ENV, SERVER_NODE_ARGS } from '../../tools/server-command.js'

t.test('npm start, the Dockerfile and the benchmarks start the server the same way', async (t) => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  const env = Object.entries(SERVER_ENV).map(([k, v]) => `${k}=${v}`).join(' ')
  t.equal(pkg.scripts.start, `${env} node ${SERVER_NODE_ARGS.join(' ')}`)
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')
  t.ok(dockerfile.includes(`CMD ${JSON.stringify(['node', ...SERVER_NODE_ARGS]).replaceAll(',', ', ')}`), 'Dockerfile CMD')
  for (const [k, v] of Object.entries(SERVER_ENV)) t.match(dockerfile, new RegExp(`ENV .*${k}=${v}`), `Dockerfile sets ${k}`)
})
