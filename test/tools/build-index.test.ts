import { execFile } from 'node:child_process'
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { programArgs } from '../helpers/program.js'
import { createEmbedder } from '../../lib/embedding/embedder.js'
import { defaultIndexPath, defaultModelDir, repoRoot } from '../../lib/paths.js'
import { openVectorStore } from '../../lib/search/vector-store.js'
import { buildIndex, defaultConfigPath, defaultCorpusDir } from '../../lib/corpus/build-index.js'
import { openPreviousIndex } from '../../lib/corpus/previous-index.js'

const embedder = createEmbedder({ modelDir: defaultModelDir, cacheSize: 0 })
const dir = mkdtempSync(join(tmpdir(), 'build-index-test-'))
t.teardown(async () => {
  await embedder.close()
  rmSync(dir, { recursive: true, force: true })
})
const fixtures = join(repoRoot, 'test', 'fixtures', 'policies')

interface Run { code: number, stderr: string }
async function cli (args: string[]): Promise<Run> {
  const run = promisify(execFile)
  return await run(process.execPath, [...programArgs('tools/build-index'), ...args], { cwd: repoRoot })
    .then(({ stderr }) => ({ code: 0, stderr }), (e: { code: number, stderr: string }) => ({ code: e.code, stderr: e.stderr }))
}

t.test('a corrupt PDF fails the build with one line and leaves the previous index untouched; --keep-going builds the rest', async (t) => {
  const docs = join(dir, 'with-corrupt-pdf')
  cpSync(fixtures, docs, { recursive: true })
  writeFileSync(join(docs, 'handbook.pdf'), '%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage')
  const out = join(dir, 'served', 'policies.sqlite')
  await buildIndex({ corpusDir: fixtures, outPath: out, embedder })
  const before = readFileSync(out)

  const failed = await cli(['--docs', docs, '--out', out])
  t.equal(failed.code, 1)
  const errors = failed.stderr.split('\n').filter((l) => l.startsWith('index:build failed'))
  t.equal(errors.length, 1, failed.stderr)
  t.match(errors[0], /^index:build failed: handbook\.pdf: is not a readable PDF \(.+\)$/)
  t.match(failed.stderr, /pass --keep-going to build without it/)
  t.ok(readFileSync(out).equals(before), 'the previous index is untouched')
  t.same(readdirSync(join(dir, 'served')), ['policies.sqlite'], 'no temporary file is left')

  const kept = await cli(['--docs', docs, '--out', out, '--keep-going'])
  t.equal(kept.code, 0, kept.stderr)
  t.match(kept.stderr, /skipped handbook\.pdf: is not a readable PDF/)
  t.match(kept.stderr, /done: 3 documents, \d+ chunks \(\d+ vectors reused\), \d+ bytes, 1 files skipped \(handbook\.pdf\)/)
  const store = openVectorStore(out)
  t.teardown(() => store.close())
  t.same(store.listDocuments().map((d) => d.id), ['data-retention', 'remote-work', 'travel-expenses'])
})

t.test('bad options are refused before anything is read', async (t) => {
  const run = await cli(['--docs', fixtures, '--out', join(dir, 'never.sqlite'), '--max-file-mb', 'lots'])
  t.equal(run.code, 1)
  t.match(run.stderr, /--max-file-mb must be a positive number/)
  const unlisted = await cli(['--docs', fixtures, '--out', join(dir, 'never.sqlite'), '--categories', 'hr,finance'])
  t.equal(unlisted.code, 1)
  t.match(unlisted.stderr, /remote-work\.md: field "category": must be one of hr, finance .* got "workplace"/)
  t.same(readdirSync(dir).filter((f) => f.startsWith('never')), [])
})

t.test('editing one of the 22 policies re-embeds only what changed', async (t) => {
  const docs = join(dir, 'edited-corpus')
  cpSync(defaultCorpusDir, docs, { recursive: true })
  copyFileSync(defaultConfigPath, join(docs, 'corpus.json'))
  const pto = join(docs, 'pto-policy.md')
  writeFileSync(pto, readFileSync(pto, 'utf8').replace('## Accrual\n', '## Accrual\nAccrual is reviewed every year.\n'))
  const incremental = join(dir, 'incremental.sqlite')
  copyFileSync(defaultIndexPath, incremental)
  const lines: string[] = []
  const report = await buildIndex({ corpusDir: docs, outPath: incremental, embedder, log: (l) => lines.push(l) })
  t.equal(report.documents, 22)
  t.ok(report.vectors.embedded >= 1 && report.vectors.embedded <= 2, `${report.vectors.embedded} chunks embedded`)
  t.equal(report.vectors.reused, report.chunks - report.vectors.embedded)
  t.ok(report.unit_vectors.embedded >= 1 && report.unit_vectors.embedded <= 3, `${report.unit_vectors.embedded} answer units embedded`)
  t.ok(report.unit_vectors.reused > 700, `${report.unit_vectors.reused} answer units reused`)
  t.match(lines.join('\n'), /embedded [12] chunks, reused \d+ vectors from the previous index/)
  const store = openVectorStore(incremental)
  t.teardown(() => store.close())
  t.match(store.getDocument('pto-policy')?.markdown, /Accrual is reviewed every year\./)
})

t.test('an incremental build writes the bytes of a full build', async (t) => {
  const docs = join(dir, 'edited-fixtures')
  cpSync(fixtures, docs, { recursive: true })
  const previous = join(dir, 'fixtures.sqlite')
  await buildIndex({ corpusDir: docs, outPath: previous, embedder })
  const file = join(docs, 'remote-work.md')
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace('three days', 'four days').concat(
      '\n## Review\nThis policy is reviewed every year by People Operations.\n'
    )
  )
  const incremental = join(dir, 'fixtures-incremental.sqlite')
  copyFileSync(previous, incremental)
  const report = await buildIndex({ corpusDir: docs, outPath: incremental, embedder })
  t.ok(report.vectors.reused > 0 && report.vectors.embedded > 0, JSON.stringify(report.vectors))
  t.ok(report.unit_vectors.reused > 0 && report.unit_vectors.embedded > 0, JSON.stringify(report.unit_vectors))
  const full = join(dir, 'fixtures-full.sqlite')
  const fullReport = await buildIndex({ corpusDir: docs, outPath: full, embedder, previousPath: null })
  t.same(fullReport.vectors, { reused: 0, embedded: report.chunks })
  t.equal(fullReport.unit_vectors.reused, 0)
  t.ok(readFileSync(incremental).equals(readFileSync(full)), 'incremental and full builds are byte-identical')
})

t.test('an index built by another model is not reused', async (t) => {
  const reasons: string[] = []
  t.equal(openPreviousIndex(defaultIndexPath, 'another-model:0000', (r) => reasons.push(r)), undefined)
  t.match(reasons, [/embedded by universal-sentence-encoder-lite/])
  t.equal(openPreviousIndex(join(dir, 'absent.sqlite'), 'x', (r) => reasons.push(r)), undefined)
  writeFileSync(join(dir, 'junk.sqlite'), 'not a database'.repeat(100))
  t.equal(openPreviousIndex(join(dir, 'junk.sqlite'), 'x', (r) => reasons.push(r)), undefined)
  t.equal(reasons.length, 2, 'a missing file is no reason to report; a junk one is')
})
