/**
 * Fills the server's compile cache (lib/paths compileCacheDir) by building the app once, so an image
 * whose filesystem is read-only at run time still starts from cached bytecode. The Docker build runs it:
 *   node dist/tools/warm-compile-cache.js
 */
import module from 'node:module'
import { compileCacheDir } from '../lib/paths.js'

module.enableCompileCache(compileCacheDir)
const { buildApp } = await import('../app.js')
const app = await buildApp({ logger: false, env: {} })
await app.ready()
await app.close()
module.flushCompileCache()
console.log(`compile cache written to ${compileCacheDir}`)
