/**
 * Checks the converted USE-Lite model against the reference: the TF.js graph from the npm
 * package run by TF.js (its WebAssembly backend), tokenised by @tensorflow-models/universal-sentence-encoder's
 * own Tokenizer. Token ids must be identical; the conversion with the package's float weights
 * (rebuilt in memory) must reach a cosine of at least 0.9999 with the reference for every
 * sentence, and the installed model with its int8 weights at least 0.998 (measured: 0.99905; the margin
 * covers other CPUs, whose int8 kernels round differently). The last line printed
 * is `min_cosine=<value>` for the installed model; the exit code is 1 on failure.
 *
 * Usage: verify-model [--model-dir <dir>]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { createEmbedder, openEncoder } from '../lib/embedding/embedder.js'
import { cosine } from '../lib/embedding/l2.js'
import { CARD_FILE, MODEL_FILE, readModelCard, TOKENIZER_FILE, type ModelCard } from '../lib/embedding/model-card.js'
import { PARITY_SENTENCES } from '../lib/embedding/convert/parity-sentences.js'
import { convertUseLite } from '../lib/embedding/convert/use-lite-convert.js'
import { readUseLiteFiles, resolveUseLiteSource, type UseLiteSource } from '../lib/embedding/convert/use-lite-source.js'
import { defaultModelDir } from '../lib/paths.js'

/** The conversion itself, with the package's float weights. */
export const MIN_COSINE = 0.9999
/** The installed model when its weights are stored as int8 (its card says `weights`). */
export const INT8_MIN_COSINE = 0.998

export interface TokenMismatch { text: string, reference: number[], onnx: number[] }

export interface ParityReport {
  sentences: number
  tokenMismatches: TokenMismatch[]
  cosines: number[]
  /** The installed model's lowest cosine with the reference. */
  minCosine: number
  /** What minCosine must reach: MIN_COSINE, or INT8_MIN_COSINE for a model with int8 weights. */
  threshold: number
  /** The float conversion's lowest cosine with the reference (USE-Lite rebuilt in memory). */
  floatMinCosine: number
  /** The sentence with the lowest cosine. */
  worst: string
  passed: boolean
}

export interface VerifyOptions {
  modelDir?: string
  sentences?: readonly string[]
  log?: (line: string) => void
}

interface Reference { ids: number[][], vectors: Float32Array[] }

export async function verifyModel (opts: VerifyOptions = {}): Promise<ParityReport> {
  const modelDir = opts.modelDir ?? defaultModelDir
  const texts = [...(opts.sentences ?? PARITY_SENTENCES)]
  const log = opts.log ?? (() => {})
  const card = readModelCard(modelDir)
  if (card.family !== 'use-lite') throw new Error(`${modelDir} holds a ${card.family} model; only use-lite has a TF.js reference`)

  log(`embedding ${texts.length} sentences with the TF.js reference (slow: a reference, not a runtime)`)
  const reference = await referenceRun(resolveUseLiteSource(), texts)
  log(`embedding them with ${card.id} on onnxruntime`)
  const onnx = await onnxRun(modelDir, card, texts)
  log('embedding them with the float conversion, before int8 storage')
  const floatVectors = await floatRun(texts)

  const tokenMismatches = texts.flatMap((text, i) => {
    const expected = (reference.ids[i] as number[]).slice(0, card.max_tokens)
    const actual = onnx.ids[i] as number[]
    return sameIds(expected, actual) ? [] : [{ text, reference: expected, onnx: actual }]
  })
  const cosines = texts.map((_, i) => cosine(reference.vectors[i] as Float32Array, onnx.vectors[i] as Float32Array))
  const minCosine = Math.min(...cosines)
  const worst = texts[cosines.indexOf(minCosine)] as string
  const floatMinCosine = Math.min(...texts.map((_, i) => cosine(reference.vectors[i] as Float32Array, floatVectors[i] as Float32Array)))
  const threshold = card.weights === undefined ? MIN_COSINE : INT8_MIN_COSINE
  const passed = tokenMismatches.length === 0 && minCosine >= threshold && floatMinCosine >= MIN_COSINE
  return { sentences: texts.length, tokenMismatches, cosines, minCosine, threshold, floatMinCosine, worst, passed }
}

/** The conversion's float graph, from the installed package, in a throwaway folder. */
async function floatRun (texts: string[]): Promise<Float32Array[]> {
  const source = resolveUseLiteSource()
  const converted = convertUseLite(source, readUseLiteFiles(source))
  const dir = mkdtempSync(join(tmpdir(), 'policy-rag-float-model-'))
  try {
    writeFileSync(join(dir, MODEL_FILE), converted.floatModel)
    writeFileSync(join(dir, TOKENIZER_FILE), converted.tokenizer)
    writeFileSync(join(dir, CARD_FILE), JSON.stringify({ ...converted.card, weights: undefined }))
    return (await onnxRun(dir, readModelCard(dir), texts)).vectors
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function sameIds (a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i])
}

async function onnxRun (modelDir: string, card: ModelCard, texts: string[]): Promise<Reference> {
  const encoder = await openEncoder(modelDir, card)
  const embedder = createEmbedder({ modelDir, cacheSize: 0 })
  try {
    return { ids: await encoder.tokenize(texts), vectors: await embedder.embed(texts) }
  } finally {
    await encoder.release()
    await embedder.close()
  }
}

/** The TF.js graph exactly as the package ships it, fed the way the USE model package feeds it. */
async function referenceRun (source: UseLiteSource, texts: string[]): Promise<Reference> {
  const tf = await import('@tensorflow/tfjs-core')
  const { loadGraphModel } = await import('@tensorflow/tfjs-converter')
  // TF.js's WebAssembly kernels: the same graph and ops as its pure-JS backend, many times faster.
  await import('@tensorflow/tfjs-backend-wasm')
  if (!await tf.setBackend('wasm')) throw new Error('the TF.js WebAssembly backend did not start')
  const { Tokenizer } = await import('@tensorflow-models/universal-sentence-encoder/dist/tokenizer/index.js')
  type Vocabulary = ConstructorParameters<typeof Tokenizer>[0]
  const vocabulary = JSON.parse(readFileSync(join(source.dir, 'vocab.json'), 'utf8')) as Vocabulary
  const tokenizer = new Tokenizer(vocabulary)
  const ids = texts.map((t) => tokenizer.encode(t))

  const modelJson = JSON.parse(readFileSync(join(source.dir, 'model.json'), 'utf8')) as {
    modelTopology: object
    weightsManifest: Array<{ paths: string[], weights: Array<import('@tensorflow/tfjs-core').io.WeightsManifestEntry> }>
  }
  const weightSpecs = modelJson.weightsManifest.flatMap((g) => g.weights)
  const shards = modelJson.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(source.dir, p))))
  const weightData = new Uint8Array(Buffer.concat(shards)).slice().buffer
  const model = await loadGraphModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData }))

  const vectors: Float32Array[] = []
  for (const group of lengthGroups(ids, REFERENCE_GROUP)) {
    const rows = group.map((i) => ids[i] as number[])
    const positions = rows.flatMap((row, s) => row.flatMap((_, p) => [s, p]))
    const indices = tf.tensor2d(positions, [positions.length / 2, 2], 'int32')
    const values = tf.tensor1d(rows.flat(), 'int32')
    const output = await model.executeAsync({ indices, values })
    const result = Array.isArray(output) ? output[0] : output
    if (!result) throw new Error('reference model returned nothing')
    const data = result.dataSync() as Float32Array
    const width = result.shape[1] as number
    group.forEach((i, row) => { vectors[i] = data.slice(row * width, (row + 1) * width) })
    tf.dispose([indices, values, result])
  }
  model.dispose()
  return { ids, vectors }
}

/** Sentences per reference run: grouped by length, so the pure-JS backend spends little on padding. */
const REFERENCE_GROUP = 4

function lengthGroups (ids: number[][], size: number): number[][] {
  const order = ids.map((_, i) => i).sort((a, b) => (ids[a] as number[]).length - (ids[b] as number[]).length)
  const groups: number[][] = []
  for (let i = 0; i < order.length; i += size) groups.push(order.slice(i, i + size))
  return groups
}

/** Rounded down, so the printed figure never overstates the agreement. */
export function formatMinCosine (value: number): string {
  return `min_cosine=${(Math.floor(value * 1e6) / 1e6).toFixed(6)}`
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { 'model-dir': { type: 'string' } } })
  const started = performance.now()
  const report = await verifyModel({
    modelDir: values['model-dir'] ? resolve(values['model-dir']) : undefined,
    log: (line) => console.log(`verify-model: ${line}`)
  })
  for (const m of report.tokenMismatches) {
    console.log(`verify-model: token ids differ for ${JSON.stringify(m.text)}\n` +
      `  reference ${JSON.stringify(m.reference)}\n  onnx      ${JSON.stringify(m.onnx)}`)
  }
  const lowest = report.cosines.map((c, i) => [c, i] as const).sort((a, b) => a[0] - b[0]).slice(0, 3)
  const ids = report.tokenMismatches.length ? `DIFFER for ${report.tokenMismatches.length}` : 'identical'
  console.log(`verify-model: ${report.sentences} sentences, token ids ${ids}, ` +
    `lowest cosines ${lowest.map(([c]) => c.toFixed(7)).join(', ')} (worst: ${JSON.stringify(report.worst.slice(0, 60))}), ` +
    `float conversion ${report.floatMinCosine.toFixed(7)}, ` +
    `${((performance.now() - started) / 1000).toFixed(1)} s, ` +
    `${report.passed ? 'PASS' : `FAIL (needs identical ids, cosine >= ${report.threshold} and >= ${MIN_COSINE} for the float conversion)`}`)
  console.log(formatMinCosine(report.minCosine))
  if (!report.passed) process.exitCode = 1
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(`verify-model: failed: ${err instanceof Error ? err.message : String(err)}`)
    process.exitCode = 1
  })
}
