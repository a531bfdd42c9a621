/**
 * Fills the server's compile cache (lib/paths compileCacheDir) by starting the server once, the way
 * production starts it (tools/server-command), and stopping it after its first /health: an image
 * whose filesystem is read-only at run time then still starts from cached bytecode. The Docker build
 * runs it:
 *   node dist/tools/warm-compile-cache.js
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { compileCacheDir, repoRoot } from '../lib/paths.js'
import { SERVER_ENV, SERVER_NODE_ARGS } from './server-command.js'

const server = spawn(process.execPath, [...SERVER_NODE_ARGS], {
  cwd: repoRoot,
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, ...SERVER_ENV, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' }
})
const exited = once(server, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
try {
  const url = await listeningUrl()
  const health = await fetch(`${url}/health`)
  if (!health.ok) throw new Error(`GET /health answered ${health.status}`)
} catch (err) {
  server.kill('SIGKILL')
  throw err
}
// A graceful stop: Node writes the compile cache as the process exits.
server.kill('SIGTERM')
const [code, signal] = await exited
if (code !== 0) throw new Error(`the server ended with ${code ?? signal}`)
console.log(existsSync(compileCacheDir)
  ? `compile cache written to ${compileCacheDir}`
  : `no compile cache: Node ${process.versions.node} has none (22.1 and later do)`)

async function listeningUrl (): Promise<string> {
  for await (const line of createInterface({ input: server.stdout })) {
    const { msg } = JSON.parse(line) as { msg?: string }
    const url = /^Server listening at (http:\S+)$/.exec(msg ?? '')?.[1]
    if (url !== undefined) return url
  }
  throw new Error(`the server exited before listening (${JSON.stringify(await exited)})`)
}
