import type { FastifyInstance } from 'fastify'
import { execFile } from 'node:child_process'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { readCorpus } from '../../lib/corpus/policy-files.js'
import { repoRoot } from '../../lib/paths.js'
import { defaultCorpusDir } from '../../lib/corpus/build-index.js'
import { build, sharedEmbedder } from '../helper.js'

// Client developers' view of the contract: generate clients from a running app's /openapi.json
// with openapi-typescript (default options) and @hey-api/openapi-ts, then type-check and run the
// README's example programs against the app. Generated once; every case below uses that output.
t.setTimeout(300_000)

const execFileAsync = promisify(execFile)
const here = join(repoRoot, 'test', 'sdk')
const out = join(here, 'generated')
const KEY = 'sdk-test-key'
const requireHere = createRequire(join(here, 'package.json'))

/** The path of a package's command, resolved from test/sdk (whose TypeScript 5 the generators need). */
function packageBin (name: string, command: string): string {
  const manifest = requireHere.resolve(`${name}/package.json`)
  const bins = (requireHere(manifest) as { bin: Record<string, string> }).bin
  return join(dirname(manifest), bins[command] ?? '')
}

// Without tap's NODE_OPTIONS (its loaders): each command runs as it would from a shell.
const { NODE_OPTIONS: _tapLoaders, ...shellEnv } = process.env

async function node (args: string[], env: Record<string, string> = {}): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      args,
      { cwd: here, env: { ...shellEnv, NO_COLOR: '1', ...env }, maxBuffer: 16 << 20 }
    )
    return { code: 0, stdout, stderr }
  } catch (err) {
    const failed = err as { code?: number, stdout?: string, stderr?: string }
    return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' }
  }
}

async function listen (app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('the app did not listen on a TCP port')
  return `http://127.0.0.1:${address.port}`
}

const readme = await readFile(join(repoRoot, 'README.md'), 'utf8')
function readmeExample (name: string): string {
  const code = new RegExp(`<!-- sdk-example: ${name} -->\\n\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1]
  if (code === undefined) throw new Error(`README has no "sdk-example: ${name}" block`)
  return code
}

const keyed = await build(t, { API_KEYS: KEY }, { embedder: sharedEmbedder() })
const keyedUrl = await listen(keyed)
const open = await build(t, {}, { embedder: sharedEmbedder() })
const openUrl = await listen(open)

await rm(out, { recursive: true, force: true })
await mkdir(join(out, 'openapi-fetch'), { recursive: true })
await mkdir(join(out, 'hey-api'), { recursive: true })
const generated = [
  await node([
    packageBin('openapi-typescript', 'openapi-typescript'),
    `${keyedUrl}/openapi.json`,
    '-o',
    join(out, 'openapi-fetch', 'policy-rag.d.ts')
  ]),
  await node([
    packageBin('@hey-api/openapi-ts', 'openapi-ts'),
    '-i',
    `${keyedUrl}/openapi.json`,
    '-o',
    join(out, 'hey-api', 'policy-rag-client')
  ])
]
const programs = { 'openapi-fetch': join(out, 'openapi-fetch', 'example.ts'), 'hey-api': join(out, 'hey-api', 'example.ts') }
for (const [name, file] of Object.entries(programs)) await writeFile(file, readmeExample(name))
const typecheck = await node([join(repoRoot, 'node_modules', 'typescript', 'lib', 'tsc.js'), '-p', join(here, 'tsconfig.json')])

const corpus = await readCorpus(defaultCorpusDir)
const categories = [...new Set(corpus.documents.map((d) => d.category))].sort().join(', ')

t.test('both generators turn the document into a client', async (t) => {
  for (const result of generated) t.equal(result.code, 0, result.stderr || result.stdout)
  const types = await readFile(join(out, 'openapi-fetch', 'policy-rag.d.ts'), 'utf8')
  t.match(types, /askQuestion: \{/, 'operations are named by their operationId')
  t.match(types, /"text\/event-stream": components\["schemas"\]\["ChatEvent"\]/, 'the stream is in the contract')
  const sdk = await readFile(join(out, 'hey-api', 'policy-rag-client', 'sdk.gen.ts'), 'utf8')
  for (const operation of ['askQuestion', 'searchPolicies', 'listDocuments', 'getDocument', 'getHealth']) {
    t.match(sdk, new RegExp(`export const ${operation} =`), `hey-api makes ${operation}()`)
  }
  t.match(sdk, /security: \[\{ scheme: 'bearer', type: 'http' \}\],\s*url: '\/chat'/, 'the chat call sends the key')
})

t.test('the README\'s programs type-check against the generated clients ({question} and {query} alone)', async (t) => {
  t.equal(typecheck.code, 0, `tsc -p test/sdk/tsconfig.json\n${typecheck.stdout}${typecheck.stderr}`)
})

for (const [name, program] of Object.entries(programs)) {
  t.test(`the ${name} program asks, searches, lists and checks health`, async (t) => {
    const runs: Array<{ label: string, url: string, env: Record<string, string> }> = [
      { label: 'with a key', url: keyedUrl, env: { POLICY_RAG_API_KEY: KEY } },
      { label: 'on a service without keys', url: openUrl, env: {} }
    ]
    for (const run of runs) {
      const result = await node(['--import', 'tsx', program], { POLICY_RAG_URL: run.url, ...run.env })
      t.equal(result.code, 0, `${run.label}: ${result.stderr}`)
      const lines = result.stdout
      t.match(lines, /^extractive: .+\[1\]/m, `${run.label}: a cited answer (no LLM configured)`)
      t.match(lines, /^sources: .*pto-policy/m, `${run.label}: it cites the PTO policy`)
      t.match(lines, /^top passage: \S.+$/m, `${run.label}: search found passages`)
      t.match(lines, new RegExp(`^${corpus.documents.length} documents in ${categories}$`, 'm'), `${run.label}: documents and categories`)
      t.match(lines, /^Paid Time Off 3\.2, effective 2026-01-01$/m, `${run.label}: one document`)
      t.match(lines, /^health: (healthy|degraded)$/m, `${run.label}: health`)
    }

    const refused = await node(['--import', 'tsx', program], { POLICY_RAG_URL: keyedUrl, POLICY_RAG_API_KEY: '' })
    t.not(refused.code, 0, 'without a key the protected service refuses')
    t.match(refused.stderr, /chat: A valid API key is required/, 'and the program sees the 401\'s message')
  })
}
