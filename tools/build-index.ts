/**
 * Builds index-data/policies.sqlite from a folder of policies: the CLI over lib/corpus/build-index.ts.
 *
 *   npm run index:build -- [--docs dir] [--out file] [--model dir] [--config corpus.json]
 *     [--categories a,b,c] [--keep-going] [--max-file-mb n] [--full]
 */
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { buildIndex, defaultCorpusDir } from '../lib/corpus/build-index.js'
import { parseCategoryList } from '../lib/corpus/config.js'
import { CorpusReadError, DEFAULT_MAX_FILE_BYTES } from '../lib/corpus/policy-files.js'
import { createEmbedder, modelFingerprint } from '../lib/embedding/embedder.js'
import { defaultIndexPath, defaultModelDir } from '../lib/paths.js'

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      docs: { type: 'string' },
      corpus: { type: 'string' },
      out: { type: 'string', default: defaultIndexPath },
      model: { type: 'string', default: defaultModelDir },
      config: { type: 'string' },
      categories: { type: 'string' },
      'keep-going': { type: 'boolean', default: false },
      'max-file-mb': { type: 'string', default: String(DEFAULT_MAX_FILE_BYTES / 1024 / 1024) },
      full: { type: 'boolean', default: false }
    }
  })
  const maxFileMb = Number(values['max-file-mb'])
  if (!(maxFileMb > 0)) throw new Error(`--max-file-mb must be a positive number, got ${JSON.stringify(values['max-file-mb'])}`)
  const options = {
    corpusDir: values.docs ?? values.corpus ?? defaultCorpusDir,
    outPath: values.out,
    keepGoing: values['keep-going'],
    maxFileBytes: Math.round(maxFileMb * 1024 * 1024),
    ...(values.config === undefined ? {} : { configPath: values.config }),
    ...(values.categories === undefined ? {} : { categories: parseCategoryList(values.categories) }),
    ...(values.full ? { previousPath: null } : {})
  }
  const embedder = createEmbedder({ modelDir: values.model, cacheSize: 0 })
  if (embedder.reason !== undefined) throw new Error(embedder.reason)
  const log = (line: string): void => { process.stderr.write(`index:build ${line}\n`) }
  log(`model: ${modelFingerprint(embedder.card)}`)
  try {
    const report = await buildIndex({ ...options, embedder, log })
    const files = report.skipped.map((s) => s.file).join(', ')
    const skipped = report.skipped.length === 0 ? '' : `, ${report.skipped.length} files skipped (${files})`
    log(`done: ${report.documents} documents, ${report.chunks} chunks (${report.vectors.reused} vectors reused), ` +
      `${report.bytes} bytes${skipped}; ms ${JSON.stringify(report.timings_ms)}`)
    log('a running service picks the new index up on SIGHUP or POST /admin/reload')
  } finally {
    await embedder.close()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    const lines = (err instanceof Error ? err.message : String(err)).split('\n')
    for (const line of lines) process.stderr.write(`index:build failed: ${line}\n`)
    if (err instanceof CorpusReadError) process.stderr.write('index:build nothing was written; fix the file, or pass --keep-going to ' +
      'build without it\n')
    process.exitCode = 1
  })
}
