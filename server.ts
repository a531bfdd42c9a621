import module from 'node:module'
import { compileCacheDir } from './lib/paths.js'

// Before the app is imported: V8 then reuses the bytecode of every module compiled by an earlier
// start (dist/ and node_modules/), in a folder under the app's own directory. NODE_COMPILE_CACHE wins.
// bin/start.sh runs this entry when there is no start-up snapshot built by this Node (server-snapshot.ts).
const compileCache = module.enableCompileCache?.(compileCacheDir)
const [{ buildApp }, { serve }] = await Promise.all([import('./app.js'), import('./serve.js')])

serve(buildApp, { compile_cache: compileCacheState(compileCache?.status), snapshot: false })

function compileCacheState (status: number | undefined): string {
  const { constants } = module
  if (status === constants?.compileCacheStatus.ENABLED || status === constants?.compileCacheStatus.ALREADY_ENABLED) return 'on'
  return status === undefined ? 'unsupported' : 'off'
}
