import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { performance } from 'node:perf_hooks'
import { ConfigError } from './lib/config.js'

/** How the process started, for the "ready" log line. */
export interface StartInfo {
  /** V8's compile cache for the modules: on, off or unsupported (not used when started from the snapshot). */
  compile_cache?: string
  /** Whether the code came deserialised from the start-up snapshot (dist/snapshot) rather than loaded module by module. */
  snapshot: boolean
}

/** The process: build the app, listen, close gracefully on SIGTERM/SIGINT, reopen the index on SIGHUP. */
export function serve (buildApp: () => Promise<FastifyInstance>, start: StartInfo): void {
  run(buildApp, start).catch((err: unknown) => {
    // One clear line for a bad setting; a stack trace for anything unexpected.
    if (err instanceof ConfigError) console.error(err.message)
    else console.error(err)
    process.exit(1)
  })
}

async function run (buildApp: () => Promise<FastifyInstance>, start: StartInfo): Promise<void> {
  const app = await buildApp()
  const { SHUTDOWN_GRACE_MS: delay, PORT: port, HOST: host } = app.config

  process.on('SIGHUP', () => {
    const result = app.policyIndex.reload()
    const fields = { signal: 'SIGHUP', path: app.policyIndex.path, ...result }
    if (result.ok) app.log.info(fields, 'vector store reloaded')
    else app.log.error(fields, 'vector store reload rejected')
  })
  // close-with-grace closes on SIGHUP too by default; here SIGHUP means "reload", not "stop".
  closeWithGrace({ delay, skip: ['SIGHUP'] }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an uncaught error')
    else app.log.info({ signal }, 'closing: finishing in-flight requests')
    await app.close()
  })

  await app.listen({ port, host })
  app.log.info({ startup_ms: Math.round(performance.now()), ...start }, 'ready')
}
