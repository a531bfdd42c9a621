import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { programArgs } from '../helpers/program.js'
import { CHUNKER_PARAMS } from '../../lib/corpus/chunking.js'
import { createEmbedder, type Embedder } from '../../lib/embedding/embedder.js'
import { defaultIndexPath, defaultModelDir, repoRoot } from '../../lib/paths.js'
import { buildIndex, defaultCorpusDir } from '../../lib/corpus/build-index.js'
import {
  checkIndex,
  compareIndexes,
  DEFAULT_VECTOR_TOLERANCE,
  describeComparison,
  INT8_VECTOR_TOLERANCE,
  vectorTolerance
} from '../../tools/check-index.js'

// Cached: the committed corpus is embedded once although two cases build it; the byte-for-byte
// case below uses an uncached embedder, so the model's own determinism stays under test.
const embedder = createEmbedder({ modelDir: defaultModelDir, cacheSize: 10_000 })
const uncached = createEmbedder({ modelDir: defaultModelDir, cacheSize: 0 })
const dir = mkdtempSync(join(tmpdir(), 'check-index-test-'))
t.teardown(async () => {
  await embedder.close()
  await uncached.close()
  rmSync(dir, { recursive: true, force: true })
})
const fixtures = join(repoRoot, 'test', 'fixtures', 'policies')
const baseline = join(dir, 'baseline.sqlite')
await buildIndex({ corpusDir: fixtures, outPath: baseline, embedder })

type Source = Pick<Embedder, 'card' | 'embed'>

/** The real model's vectors, each element moved by `delta`: what another CPU's float rounding looks like. */
function nudged (delta: number): Source {
  return {
    card: embedder.card,
    embed: async (texts) => (await embedder.embed(texts)).map((v) => v.map((x) => x + delta))
  }
}

t.test('the committed index is what the committed corpus and model build', async (t) => {
  const result = await checkIndex({ indexPath: defaultIndexPath, corpusDir: defaultCorpusDir, embedder })
  t.ok(result.ok, describeComparison(result, 'index-data/policies.sqlite'))
  t.same(result.causes, [])
  t.ok((result.max_vector_diff ?? 1) <= vectorTolerance(embedder.card), `max vector difference ${result.max_vector_diff}`)
  t.equal(vectorTolerance(embedder.card), INT8_VECTOR_TOLERANCE, 'the installed model stores int8 weights')
  t.equal(vectorTolerance({}), DEFAULT_VECTOR_TOLERANCE)
})

t.test('building twice gives identical contents, byte for byte', async (t) => {
  const again = join(dir, 'again.sqlite')
  const report = await buildIndex({ corpusDir: fixtures, outPath: again, embedder: uncached })
  t.match(report, { documents: 3, chunks: Number, bytes: Number, timings_ms: { embed: Number } })
  const result = compareIndexes(baseline, again)
  t.ok(result.ok)
  t.equal(result.max_vector_diff, 0)
  t.ok(readFileSync(baseline).equals(readFileSync(again)), 'same bytes')
})

t.test('an edited corpus is reported as stale because the corpus changed', async (t) => {
  const corpus = join(dir, 'edited-corpus')
  cpSync(defaultCorpusDir, corpus, { recursive: true })
  const pto = join(corpus, 'pto-policy.md')
  writeFileSync(pto, readFileSync(pto, 'utf8').replace('## Accrual\n', '## Accrual\nAccrual is reviewed every year.\n'))
  const fresh = join(dir, 'edited.sqlite')
  await buildIndex({ corpusDir: corpus, outPath: fresh, embedder, previousPath: defaultIndexPath })
  const result = compareIndexes(defaultIndexPath, fresh)
  t.notOk(result.ok)
  t.same(result.causes, ['corpus'])
  t.match(result.problems.join('\n'), /meta corpus_sha256: committed [0-9a-f]{64}, rebuilt [0-9a-f]{64}/)
  t.match(result.problems.join('\n'), /documents: 1 changed \(pto-policy\)/)
  t.match(result.problems.join('\n'), /chunks: \d+ changed \(pto-policy#/)
  t.match(
    describeComparison(result, 'index-data/policies.sqlite'),
    /index-data\/policies\.sqlite is stale: the corpus changed\.\n.*\nRebuild it with `npm run index:build`/s
  )

  t.test('the CLI exits non-zero with that message', async (t) => {
    // The three fixtures rather than the 22 policies: the CLI rebuilds its corpus in full.
    const editedFixtures = join(dir, 'edited-fixtures')
    cpSync(fixtures, editedFixtures, { recursive: true })
    const remote = join(editedFixtures, 'remote-work.md')
    writeFileSync(remote, readFileSync(remote, 'utf8').replace('three days', 'four days'))
    const run = promisify(execFile)
    const err = await run(
      process.execPath,
      [...programArgs('tools/check-index'), '--index', baseline, '--corpus', editedFixtures],
      { cwd: repoRoot }
    )
      .then(() => undefined, (e: unknown) => e as { code: number, stderr: string })
    t.equal(err?.code, 1)
    t.match(err?.stderr, /is stale: the corpus changed/)
  })
})

t.test('a chunker change is reported as such', async (t) => {
  const fresh = join(dir, 'chunker.sqlite')
  await buildIndex({ corpusDir: fixtures, outPath: fresh, embedder, chunkerParams: { ...CHUNKER_PARAMS, maxTokens: 150, minTokens: 20 } })
  const result = compareIndexes(baseline, fresh)
  t.notOk(result.ok)
  t.same(result.causes, ['chunker'])
  t.match(describeComparison(result, 'x.sqlite'), /stale: the chunker changed/)
})

t.test('another model is reported as a model change', async (t) => {
  const other: Source = {
    card: { ...embedder.card, id: 'another-model', model_sha256: 'f'.repeat(64) },
    embed: (texts) => embedder.embed(texts)
  }
  const fresh = join(dir, 'model.sqlite')
  await buildIndex({ corpusDir: fixtures, outPath: fresh, embedder: other })
  const result = compareIndexes(baseline, fresh)
  t.same(result.causes, ['model'])
  t.match(result.problems.join('\n'), /meta embedding_fingerprint: committed .*, rebuilt another-model:f{64}/)
})

t.test('vectors: float noise is tolerated, real drift is not', async (t) => {
  const noise = join(dir, 'noise.sqlite')
  await buildIndex({ corpusDir: fixtures, outPath: noise, embedder: nudged(1e-7) })
  const tolerated = compareIndexes(baseline, noise)
  t.ok(tolerated.ok, 'within 1e-5')
  t.ok((tolerated.max_vector_diff ?? 0) > 0)
  const drift = join(dir, 'drift.sqlite')
  await buildIndex({ corpusDir: fixtures, outPath: drift, embedder: nudged(1e-3) })
  const result = compareIndexes(baseline, drift)
  t.same(result.causes, ['model'])
  t.match(result.problems.join('\n'), /vectors: max abs difference .* exceeds 0.00001/)
})

t.test('a missing committed index is stale, not a crash', async (t) => {
  const result = compareIndexes(join(dir, 'nope.sqlite'), baseline)
  t.same(result.causes, ['missing'])
  t.match(describeComparison(result, 'nope.sqlite'), /the committed index is missing or unreadable/)
})

t.test('a failed build leaves the previous index untouched and no temporary file', async (t) => {
  const out = join(dir, 'atomic')
  cpSync(baseline, join(out, 'policies.sqlite'), { recursive: true })
  const before = readFileSync(join(out, 'policies.sqlite'))
  let calls = 0
  const failing: Source = {
    card: embedder.card,
    embed: async (texts) => {
      if (++calls > 1) throw new Error('model crashed')
      return embedder.embed(texts)
    }
  }
  await t.rejects(
    buildIndex({ corpusDir: fixtures, outPath: join(out, 'policies.sqlite'), embedder: failing, batchSize: 4, previousPath: null }),
    /model crashed/
  )
  t.ok(readFileSync(join(out, 'policies.sqlite')).equals(before))
  const broken = join(dir, 'broken-corpus')
  cpSync(fixtures, broken, { recursive: true })
  writeFileSync(join(broken, 'bad.md'), '---\neffective_date: someday\n---\n# Bad\n')
  await t.rejects(
    buildIndex({ corpusDir: broken, outPath: join(out, 'policies.sqlite'), embedder }),
    /bad\.md: field "effective_date": must be a calendar date/
  )
  t.same(readdirSync(out), ['policies.sqlite'])
  t.ok(readFileSync(join(out, 'policies.sqlite')).equals(before))

  const blocked = join(dir, 'blocked')
  cpSync(baseline, join(blocked, 'policies.sqlite', 'in-the-way'), { recursive: true })
  await t.rejects(buildIndex({ corpusDir: fixtures, outPath: join(blocked, 'policies.sqlite'), embedder }), 'the final rename fails')
  t.same(readdirSync(blocked), ['policies.sqlite'], 'the written temporary file is removed')
})
