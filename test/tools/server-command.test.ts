import t, { type Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from '../../lib/paths.js'
import { freePort, ServerProcess, waitFor200 } from '../../tools/bench-util.js'
import { launcher, SERVER_ENV, SERVER_LAUNCHER, SERVER_NODE_ARGS } from '../../tools/server-command.js'

/** The launcher's flags and environment, in a running server (checked in the cases that start one, not in servers of its own). */
function hasServerFlags (t: Test, pid: number, how: string): void {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
  const flags = argv.filter((a) => a.startsWith('--') && a !== '--snapshot-blob')
  t.same(flags, SERVER_NODE_ARGS.filter((a) => a.startsWith('--')), `${how}: node's flags (from the snapshot or not)`)
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
  for (const [k, v] of Object.entries(SERVER_ENV)) t.ok(environ.includes(`${k}=${v}`), `${how}: ${k}=${v}`)
}

t.test('npm start, the Dockerfile and the benchmarks start the server the same way', async (t) => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  const env = Object.entries(SERVER_ENV).map(([k, v]) => `${k}=${v}`).join(' ')
  t.equal(pkg.scripts.start, `${env} exec ${SERVER_LAUNCHER}`, 'exec: the shell npm runs gives way to the launcher')
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')
  t.ok(dockerfile.includes(`CMD ${JSON.stringify([SERVER_LAUNCHER])}`), 'Dockerfile CMD')
  for (const [k, v] of Object.entries(SERVER_ENV)) t.match(dockerfile, new RegExp(`ENV .*${k}=${v}`), `Dockerfile sets ${k}`)
  const script = readFileSync(join(repoRoot, SERVER_LAUNCHER), 'utf8')
  const flags = SERVER_NODE_ARGS.filter((a) => a.startsWith('--'))
  t.ok(script.includes(`set -- ${flags.join(' ')}\n`), 'the launcher passes node the same flags from the snapshot or not')
  t.match(script, /exec node "\$@" --snapshot-blob .*\nfi\nexec node "\$@" "\$app\/dist\/server\.js"\n$/, 'exec either way')
})

t.test('bin/start.sh starts from the snapshot this Node built, and from dist/server.js when the stamp names another', async (t) => {
  const stamp = execFileSync(join(repoRoot, SERVER_LAUNCHER), ['--stamp'], { env: { ...process.env, ...launcher().env }, encoding: 'utf8' })
  const uname = execFileSync('uname', ['-sm'], { encoding: 'utf8' }).trim()
  t.equal(stamp.trim(), `${process.version} ${uname} ${repoRoot}`, 'what a blob must match: this Node, platform and folder')
  const stampFile = join(repoRoot, 'dist', 'snapshot', 'stamp')
  const built = existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp
  // `npm run build` makes one on Node 22 and later (the versions package.json's engines allow).
  t.equal(built, Number(process.versions.node.split('.')[0]) >= 22, `dist/snapshot ${built ? 'was' : 'was not'} built by this Node`)

  const own = ServerProcess.start({ entry: 'dist' })
  t.teardown(() => own.stop('SIGKILL'))
  await own.ready()
  const ready = await own.waitForLog((l) => l.msg === 'ready')
  t.equal(ready.snapshot, built, 'from the snapshot when there is one for this Node')
  // Nothing of the build's process is left in the snapshot's logger.
  t.same([ready.pid, ready.hostname], [own.pid, hostname()], 'the logs name this process and host')
  await t.test('the running server has those flags and that environment, started as the benchmarks start it', async (t) => {
    hasServerFlags(t, Number(ready.pid), 'benchmarks')
  })
  await own.stop()

  // A blob another Node built: node would refuse it and exit, so the launcher must not pass it.
  const foreign = mkdtempSync(join(tmpdir(), 'snapshot-'))
  t.teardown(() => rmSync(foreign, { recursive: true, force: true }))
  writeFileSync(join(foreign, 'stamp'), stamp.replace(process.version, 'v0.0.1'))
  if (built) symlinkSync(join(repoRoot, 'dist', 'snapshot', 'server.blob'), join(foreign, 'server.blob'))
  else writeFileSync(join(foreign, 'server.blob'), 'not a V8 start-up snapshot')
  const other = ServerProcess.start({ entry: 'dist', env: { SNAPSHOT_DIR: foreign } })
  t.teardown(() => other.stop('SIGKILL'))
  const url = await other.ready()
  t.equal((await other.waitForLog((l) => l.msg === 'ready')).snapshot, false, 'fell back to dist/server.js')
  t.equal((await fetch(`${url}/health`)).status, 200, 'and answers')
  await other.stop()

  // pino-pretty's worker thread would crash a process started from a snapshot.
  const port = await freePort()
  const pretty = ServerProcess.start({ entry: 'dist', port, env: { LOG_PRETTY: 'true' } })
  t.teardown(() => pretty.stop('SIGKILL'))
  await waitFor200(`http://127.0.0.1:${port}/health`, pretty.spawnedAt, { server: pretty, intervalMs: 20 })
  t.equal(pretty.logs.length, 0, 'LOG_PRETTY: it answers /health (from dist/server.js) and logs in pino-pretty\'s format, not JSON')
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
  await t.test('the running server has those flags and that environment, started by npm start', async (t) => {
    hasServerFlags(t, serverPid, 'npm start')
  })

  process.kill(serverPid, 'SIGHUP')
  await server.waitForLog((l) => l.msg === 'vector store reloaded' && l.signal === 'SIGHUP', 10_000)

  process.kill(server.pid, 'SIGTERM')
  await server.waitForLog((l) => l.msg === 'closing: finishing in-flight requests' && l.signal === 'SIGTERM', 10_000)
  const exit = await server.exited
  t.ok(exit.code === 0 || exit.signal === 'SIGTERM', `npm ended with the server (${JSON.stringify(exit)})`)
  t.throws(() => process.kill(serverPid, 0), { code: 'ESRCH' }, 'no node process is left answering')
})

