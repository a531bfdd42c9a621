import { createHash } from 'node:crypto'
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs'
import { basename, join } from 'node:path'
import { readOnnxOutputs } from './onnx-io.js'

export type ModelFamily = 'use-lite' | 'bert'

export interface ModelCard {
  id: string
  dimensions: number
  model_sha256: string
  tokenizer_sha256: string
  family: ModelFamily
  /** Tokens the model sees per text; longer input is truncated to this many. */
  max_tokens: number
  source?: { package: string, version: string }
  converter_version?: string
  /** How the weights are stored when not as the source's floats, e.g. `int8-blockwise`. */
  weights?: string
}

export const MODEL_FILE = 'model.onnx'
export const TOKENIZER_FILE = 'tokenizer.json'
export const CARD_FILE = 'model-card.json'

/** BERT-family default when neither the card nor sentence_bert_config.json nor the tokenizer says. */
const BERT_DEFAULT_MAX_TOKENS = 128

export class ModelDirError extends Error {
  override name = 'ModelDirError'
}

export function sha256File (path: string): string {
  const hash = createHash('sha256')
  const fd = openSync(path, 'r')
  try {
    const chunk = Buffer.allocUnsafe(1 << 20)
    let read: number
    while ((read = readSync(fd, chunk, 0, chunk.length, null)) > 0) hash.update(chunk.subarray(0, read))
  } finally {
    closeSync(fd)
  }
  return hash.digest('hex')
}

/**
 * The card of a model folder: `model-card.json` when present, else derived for a
 * sentence-transformers BERT export (the dimension from the graph's output shape, the hashes
 * from the files). Never creates an inference session.
 */
export function readModelCard (dir: string): ModelCard {
  for (const file of [MODEL_FILE, TOKENIZER_FILE]) {
    if (!existsSync(join(dir, file))) throw new ModelDirError(`${join(dir, file)} is missing`)
  }
  const cardPath = join(dir, CARD_FILE)
  if (existsSync(cardPath)) return validateCard(JSON.parse(readFileSync(cardPath, 'utf8')), cardPath)
  return deriveBertCard(dir)
}

function deriveBertCard (dir: string): ModelCard {
  const modelPath = join(dir, MODEL_FILE)
  const output = readOnnxOutputs(modelPath)[0]
  const width = output?.dims[output.dims.length - 1]
  if (typeof width !== 'number') throw new ModelDirError(`${modelPath}: the first output has no fixed last dimension; add a ${CARD_FILE}`)
  return {
    id: basename(dir),
    family: 'bert',
    dimensions: width,
    max_tokens: bertMaxTokens(dir),
    model_sha256: sha256File(modelPath),
    tokenizer_sha256: sha256File(join(dir, TOKENIZER_FILE))
  }
}

function bertMaxTokens (dir: string): number {
  const stConfig = join(dir, 'sentence_bert_config.json')
  if (existsSync(stConfig)) {
    const value = (JSON.parse(readFileSync(stConfig, 'utf8')) as { max_seq_length?: unknown }).max_seq_length
    if (typeof value === 'number' && value > 0) return value
  }
  const tokenizer = JSON.parse(readFileSync(join(dir, TOKENIZER_FILE), 'utf8')) as { truncation?: { max_length?: unknown } | null }
  const fromTokenizer = tokenizer.truncation?.max_length
  return typeof fromTokenizer === 'number' && fromTokenizer > 0 ? fromTokenizer : BERT_DEFAULT_MAX_TOKENS
}

function validateCard (raw: unknown, path: string): ModelCard {
  const card = raw as Partial<ModelCard>
  const problems: string[] = []
  if (typeof card.id !== 'string' || !card.id) problems.push('id')
  if (!Number.isInteger(card.dimensions) || (card.dimensions ?? 0) <= 0) problems.push('dimensions')
  if (!Number.isInteger(card.max_tokens) || (card.max_tokens ?? 0) <= 0) problems.push('max_tokens')
  if (card.family !== 'use-lite' && card.family !== 'bert') problems.push('family')
  if (typeof card.model_sha256 !== 'string' || typeof card.tokenizer_sha256 !== 'string') problems.push('sha256')
  if (problems.length) throw new ModelDirError(`${path}: invalid ${problems.join(', ')}`)
  return card as ModelCard
}
