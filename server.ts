import closeWithGrace from 'close-with-grace'
import module from 'node:module'
import { performance } from 'node:perf_hooks'
import { ConfigError } from './lib/config.js'
import { compileCacheDir } from './lib/paths.js'

// Before the app is imported: V8 then reuses the bytecode of every module compiled by an earlier
// start (dist/ and node_modules/), in a folder under the app's own directory. NODE_COMPILE_CACHE wins.
const compileCache = module.enableCompileCache?.(compileCacheDir)
const { buildApp } = await import('./app.js')

/** The process: build the app, listen, close gracefully on SIGTERM/SIGINT, reopen the index on SIGHUP. */
async function main (): Promise<void> {
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
  app.log.info({ startup_ms: Math.round(performance.now()), compile_cache: compileCacheState(compileCache?.status) }, 'ready')
}

function compileCacheState (status: number | undefined): string {
  const { constants } = module
  if (status === constants?.compileCacheStatus.ENABLED || status === constants?.compileCacheStatus.ALREADY_ENABLED) return 'on'
  return status === undefined ? 'unsupported' : 'off'
}

main().catch((err: unknown) => {
  // One clear line for a bad setting; a stack trace for anything unexpected.
  if (err instanceof ConfigError) console.error(err.message)
  else console.error(err)
  process.exit(1)
})
