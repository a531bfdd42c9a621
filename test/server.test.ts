import t from 'tap'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ServerProcess } from '../tools/bench-util.js'

t.test('a contradictory setting stops the start with one line on stderr', async (t) => {
  const contradictions: Array<Record<string, string>> = [
    { METRICS_REQUIRE_KEY: 'true' },
    { MEMORY_LIMIT_MB: '8' },
    { MEMORY_WARNING_FRACTION: '0.9', MEMORY_PRESSURE_FRACTION: '0.5' }
  ]
  for (const env of contradictions) {
    const server = ServerProcess.start({ entry: 'dist', env })
    const exit = await server.exited
    t.same(exit, { code: 1, signal: null }, `${Object.keys(env).join(', ')}: exit code 1`)
    t.equal(server.other.length, 1, `one line: ${server.other.join(' / ')}`)
    t.match(server.other[0], /^Invalid configuration: /)
    t.notOk(server.logs.some((l) => /listening/i.test(l.msg ?? '')), 'never listened')
  }
})

t.test('the server writes nothing outside its working directory (HOME, TMPDIR) while it starts, searches and stops', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'policy-rag-home-'))
  const tmp = mkdtempSync(join(tmpdir(), 'policy-rag-tmp-'))
  t.teardown(() => { rmSync(home, { recursive: true, force: true }); rmSync(tmp, { recursive: true, force: true }) })
  const server = ServerProcess.start({ entry: 'dist', env: { HOME: home, TMPDIR: tmp, XDG_CACHE_HOME: '' } })
  t.teardown(() => server.stop('SIGKILL'))
  const base = await server.ready()
  const ready = await server.waitForLog((l) => l.msg === 'ready')
  // Module code comes deserialised from the start-up snapshot (Node 22+, tools/build-snapshot.ts), or else compiled once into the cache.
  t.ok(ready.snapshot === true || ready.compile_cache === 'on', `the snapshot or the compile cache is in use (${JSON.stringify(ready)})`)
  const res = await fetch(
    `${base}/search`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'how many vacation days do I get' }) }
  )
  t.equal(res.status, 200, 'a search, so the ONNX model loaded')
  await res.arrayBuffer()
  t.same(await server.stop(), { code: 0, signal: null })
  t.same(readdirSync(home, { recursive: true }), [], 'nothing under HOME (onnxruntime telemetry is off)')
  t.same(readdirSync(tmp, { recursive: true }), [], 'nothing under TMPDIR')
})
