import t from 'tap'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from '../../lib/paths.js'
import { ServerProcess } from '../../tools/bench-util.js'
import { SERVER_ENV, SERVER_NODE_ARGS } from '../../tools/server-command.js'

t.test('npm start, the Dockerfile and the benchmarks start the server the same way', async (t) => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  const env = Object.entries(SERVER_ENV).map(([k, v]) => `${k}=${v}`).join(' ')
  t.equal(pkg.scripts.start, `${env} exec node ${SERVER_NODE_ARGS.join(' ')}`, 'exec: the shell npm runs gives way to node')
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')
  t.ok(dockerfile.includes(`CMD ${JSON.stringify(['node', ...SERVER_NODE_ARGS]).replaceAll(',', ', ')}`), 'Dockerfile CMD')
  for (const [k, v] of Object.entries(SERVER_ENV)) t.match(dockerfile, new RegExp(`ENV .*${k}=${v}`), `Dockerfile sets ${k}`)
})

t.test('SIGTERM to `npm start` stops the server gracefully; SIGHUP to the pid it logs reloads the index (npm forwards only SIGINT and ' +
  'SIGTERM)', async (
  t
) => {
  const server = ServerProcess.start({ entry: 'dist', viaNpmStart: true })
  t.teardown(() => server.stop('SIGKILL'))
  await server.ready()
  const ready = await server.waitForLog((l) => l.msg === 'ready')
  const serverPid = Number(ready.pid)
  const parent = Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(serverPid)], { encoding: 'utf8' }).trim())
  t.equal(parent, server.pid, 'node replaced the shell: the server is npm\'s own child')

  process.kill(serverPid, 'SIGHUP')
  await server.waitForLog((l) => l.msg === 'vector store reloaded' && l.signal === 'SIGHUP', 10_000)

  process.kill(server.pid, 'SIGTERM')
  await server.waitForLog((l) => l.msg === 'closing: finishing in-flight requests' && l.signal === 'SIGTERM', 10_000)
  const exit = await server.exited
  t.ok(exit.code === 0 || exit.signal === 'SIGTERM', `npm ended with the server (${JSON.stringify(exit)})`)
  t.throws(() => process.kill(serverPid, 0), { code: 'ESRCH' }, 'no node process is left answering')
})

t.test('the running server has those flags and that environment, started by npm start or as the benchmarks start it', async (t) => {
  for (const viaNpmStart of [true, false]) {
    const server = ServerProcess.start({ entry: 'dist', viaNpmStart })
    t.teardown(() => server.stop('SIGKILL'))
    await server.ready()
    const pid = Number((await server.waitForLog((l) => l.msg === 'ready')).pid)
    const how = viaNpmStart ? 'npm start' : 'benchmarks'
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    t.same(argv.filter((a) => a.startsWith('--')), SERVER_NODE_ARGS.filter((a) => a.startsWith('--')), `${how}: node's flags`)
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
    for (const [k, v] of Object.entries(SERVER_ENV)) t.ok(environ.includes(`${k}=${v}`), `${how}: ${k}=${v}`)
    await server.stop()
  }
})
