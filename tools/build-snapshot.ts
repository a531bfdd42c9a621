/**
 * Builds the server's V8 start-up snapshot (https://nodejs.org/api/cli.html#--build-snapshot-entry):
 * esbuild bundles server-snapshot.ts into one CommonJS script, and `node --build-snapshot-config` runs it (no code cache) and
 * writes the heap it leaves to dist/snapshot/server.blob, with a stamp naming the Node that built it
 * (bin/start.sh starts from the blob only when the stamp matches, else from dist/server.js). Runs in
 * `npm run build`, so the blob is made where the server is installed, never downloaded:
 *   node dist/tools/build-snapshot.js
 */
import { build, type Plugin } from 'esbuild'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { STATUS_CODES, METHODS } from 'node:http'
import { delimiter, dirname, join } from 'node:path'
import { repoRoot } from '../lib/paths.js'
import { SERVER_NODE_ARGS } from './server-command.js'

export const SNAPSHOT_DIR = join(repoRoot, 'dist', 'snapshot')
const SCRIPT = join(SNAPSHOT_DIR, 'server.cjs')
const BLOB = join(SNAPSHOT_DIR, 'server.blob')

/**
 * Left in node_modules and required when first used at run time: native addons and the packages that
 * import them (a snapshot holds no native state; better-sqlite3 is bundled, below), packages that read
 * files of their own next to their code (swagger-ui's assets; pino-pretty, which pino's transport worker
 * loads by name: with LOG_PRETTY bin/start.sh starts without the snapshot), and undici (the LLM
 * client's, loaded on demand).
 */
const EXTERNAL = ['onnxruntime-node', 'tokenizers', 'undici', '@fastify/swagger', '@fastify/swagger-ui', 'pino-pretty']

/**
 * better-sqlite3's JavaScript goes into the snapshot; its addon and sqlite-vec's extension load when the
 * index is opened, from paths found now (the stamp pins the folder), without searching node_modules then.
 */
function nativeShims (): Record<string, string> {
  const requireHere = createRequire(join(repoRoot, 'package.json'))
  const addon = join(dirname(requireHere.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node')
  if (!existsSync(addon)) throw new Error(`${addon} not found: better-sqlite3 was not built`)
  const extension = (requireHere('sqlite-vec') as { getLoadablePath: () => string }).getLoadablePath()
  return {
    // better-sqlite3 asks `bindings` for its addon (a search of a dozen folders) the first time a database opens.
    bindings: `module.exports = () => require(${JSON.stringify(addon)})`,
    'sqlite-vec': `module.exports = { load: (db) => db.loadExtension(${JSON.stringify(extension)}) }`
  }
}

/**
 * node:http, https, http2 and tls cannot be loaded while a snapshot is built (their native parsers hold
 * handles V8 cannot serialise). Fastify reads http's STATUS_CODES and METHODS as it is imported: those two
 * tables are copied in here; anything else loads the real module on first use, at run time.
 */
function lazyBuiltin (name: string): string {
  const tables = name === 'http' ? { STATUS_CODES, METHODS } : {}
  return `let real
const load = () => (real ??= require('node:${name}'))
const tables = ${JSON.stringify(tables)}
module.exports = new Proxy({}, {
  get: (_, key) => Object.hasOwn(tables, key) ? tables[key] : load()[key],
  has: (_, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_, key) => {
    const d = Reflect.getOwnPropertyDescriptor(load(), key)
    return d && { ...d, configurable: true }
  }
})`
}

/**
 * Packages the server seldom needs, left out of the snapshot and required on their first call: tinyld builds
 * about 1 MB of language tables as it is loaded, and lib/guardrails/language asks it only about a question
 * that is not plainly English. Each function it exports becomes one that loads the package and calls its own
 * (its other exports, data, are copied).
 */
const SELDOM_USED = ['tinyld/light']

function lazyPackage (name: string): string {
  const requireHere = createRequire(join(repoRoot, 'package.json'))
  const exports = Object.entries(requireHere(name) as Record<string, unknown>).map(([key, value]) => typeof value === 'function'
    ? `export const ${key} = (...args) => load().${key}(...args)`
    : `export const ${key} = ${JSON.stringify(value)}`)
  return `let real\nconst load = () => (real ??= require(${JSON.stringify(name)}))\n${exports.join('\n')}`
}

const deferred = (shims: Record<string, string>): Plugin => ({
  name: 'deferred-modules',
  setup (b) {
    b.onResolve({ filter: /^(bindings|sqlite-vec)$/ }, (a) => ({ path: a.path, namespace: 'native' }))
    b.onResolve({ filter: /\.node$/ }, (a) => ({ path: a.path, external: true }))
    b.onLoad({ filter: /.*/, namespace: 'native' }, (a) => ({ contents: shims[a.path], loader: 'js' }))
    b.onResolve({ filter: /^(node:)?(http|https|http2|tls)$/ }, (a) =>
      a.namespace === 'lazy-builtin' ? { path: a.path, external: true } : { path: a.path.replace(/^node:/, ''), namespace: 'lazy-builtin' })
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (a) => ({ contents: lazyBuiltin(a.path), loader: 'js' }))
    const seldom = new RegExp(`^(${SELDOM_USED.join('|')})$`)
    b.onResolve({ filter: seldom }, (a) =>
      a.namespace === 'lazy-package' ? { path: a.path, external: true } : { path: a.path, namespace: 'lazy-package' })
    b.onLoad({ filter: /.*/, namespace: 'lazy-package' }, (a) => ({ contents: lazyPackage(a.path), loader: 'js' }))
  }
})

/**
 * While the snapshot is built, `require` loads built-in modules only; in the deserialised process the
 * packages left external load from node_modules, found from where the script was built.
 */
const BANNER = `var __snapshotRequire = require, __appRequire
require = function (id) {
  if (__snapshotRequire('node:v8').startupSnapshot.isBuildingSnapshot()) return __snapshotRequire(id)
  return (__appRequire ??= __snapshotRequire('node:module').createRequire(__filename))(id)
}
var __importMetaUrl = __snapshotRequire('node:url').pathToFileURL(__filename).href`

async function bundle (): Promise<void> {
  const { outputFiles: [script] = [] } = await build({
    entryPoints: [join(repoRoot, 'server-snapshot.ts')],
    outfile: SCRIPT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    external: EXTERNAL,
    // import() of a package left external becomes require(): a snapshot's script has no ES module loader.
    supported: { 'dynamic-import': false },
    define: { 'import.meta.url': '__importMetaUrl' },
    banner: { js: BANNER },
    plugins: [deferred(nativeShims())],
    // A smaller script is a smaller heap to deserialise: its source stays in the heap. Whitespace alone took about 2 MB
    // off the RSS; renaming locals too takes the script from 2.6 to 1.9 MB and the idle RSS about 1.5 MB lower (Node 24).
    // keepNames: function and class names stay for stack traces and error types.
    minify: true,
    keepNames: true,
    logLevel: 'warning',
    write: false
  })
  if (script === undefined) throw new Error('esbuild wrote no script')
  writeFileSync(SCRIPT, oneByte(script.text))
}

/**
 * The script's source stays in the heap (V8 compiles functions from it lazily); one character above
 * U+00FF makes all of it a two-byte string, 2 MB more. esbuild escapes such characters in strings but
 * not in regular expressions, nor in String.raw templates (here each one builds a RegExp): escaped
 * there, they match the same.
 */
function oneByte (source: string): string {
  // After a backslash the escape would read as an escaped backslash and the letter u.
  if (/\\[\u0100-\uffff]/.test(source)) throw new Error('the script has an escaped character above U+00FF')
  return source.replace(/[\u0100-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** What bin/start.sh compares, computed by it with the Node that builds the blob first on PATH. */
function stamp (): string {
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` }
  return execFileSync('sh', [join(repoRoot, 'bin', 'start.sh'), '--stamp'], { env, encoding: 'utf8' })
}

async function main (): Promise<void> {
  // Never a blob of an earlier build beside new code: it would start the old server.
  rmSync(SNAPSHOT_DIR, { recursive: true, force: true })
  const major = Number(process.versions.node.split('.')[0])
  if (major < 22) {
    console.log(`start-up snapshot not built: Node ${process.version} (22 or later makes one); the server starts from dist/server.js`)
    return
  }
  mkdirSync(SNAPSHOT_DIR, { recursive: true })
  await bundle()
  // The same V8 flags as the server runs with (bin/start.sh), and no warnings about built-ins the entry
  // does not keep (node:module, perf_hooks and async_hooks are loaded but hold no state that goes stale).
  const flags = SERVER_NODE_ARGS.filter((a) => a.startsWith('--'))
  // Without V8's code cache the blob holds no compiled functions (7.6 MB instead of 13.5): Node keeps the blob in memory for
  // the life of the process, and the functions the server runs compile from the script when first called. Node 24, bench:ci:
  // idle RSS 76 -> 70 MB, steady 151-158 -> 144-146 MB; CPU to the first /health unchanged (220-250 ms, bench:startup).
  // Node 22 keeps the code cache: a server started from its blob without one stopped answering in
  // test/e2e/llm-flood.test.ts (50 paused streams), while the same test passes with it and on Node 24.
  const config = join(SNAPSHOT_DIR, 'config.json')
  writeFileSync(config, JSON.stringify({ builder: SCRIPT, withoutCodeCache: major >= 24 }))
  execFileSync(process.execPath, [...flags, '--no-warnings', '--snapshot-blob', BLOB, '--build-snapshot-config', config], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: '' }
  })
  writeFileSync(join(SNAPSHOT_DIR, 'stamp'), stamp())
}

await main()
