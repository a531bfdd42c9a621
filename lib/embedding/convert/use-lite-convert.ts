import { createHash } from 'node:crypto'
import { convertTfjsGraph, readWeights, type ConstTensor } from './tfjs-to-onnx.js'
import type { ModelCard } from '../model-card.js'
import { quantizeWeights, WEIGHT_QUANTIZATION } from './quantize.js'
import { useLiteTokenizerJson } from '../use-lite-tokenizer.js'
import type { UseLiteFiles, UseLiteSource } from './use-lite-source.js'

/** Bump when the converter's output changes, so installed models are rebuilt. */
export const CONVERTER_VERSION = '2'
export const USE_LITE_OPSET = 18

/** Graph names the conversion relies on. */
const INPUTS = [{ name: 'indices', dynamicDims: ['tokens'] }, { name: 'values', dynamicDims: ['tokens'] }]
const OUTPUT = 'module_apply_default/Encoder_en/hidden_layers/l2_normalize'
const MAX_LENGTH_CONST = 'module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Less/y'
const OUTPUT_BIAS = 'module/Encoder_en/hidden_layers/tanh_layer_0/bias'

export interface ConvertedModel {
  /** The graph with int8 weights: what the service runs. */
  model: Uint8Array
  /** The same graph with the package's float weights, before quantization: what parity checks compare first. */
  floatModel: Uint8Array
  tokenizer: Uint8Array
  card: ModelCard
}

export function useLiteModelId (source: UseLiteSource): string {
  return `universal-sentence-encoder-lite@${source.version}`
}

/**
 * Converts USE-Lite into ONNX (sparse `indices` int64 [n, 2] and `values` int64 [n] in,
 * `embeddings` float32 [sentences, 512] out, exactly the TF graph's interface) plus its
 * tokenizer.json and card. The large weights are then stored as int8 (see quantize.ts).
 * Pure: the same package gives the same bytes.
 */
export function convertUseLite (source: UseLiteSource, files: UseLiteFiles, progress: (step: string) => void = () => {}): ConvertedModel {
  progress(`reading ${files.weightSpecs.length} weight tensors (${(files.weightData.byteLength / 1e6).toFixed(1)} MB)`)
  const weights = readWeights(files.weightSpecs, files.weightData, files.nodes)
  const dimensions = dimsOf(weights, OUTPUT_BIAS)[0] as number
  const maxTokens = Number(weights.get(MAX_LENGTH_CONST)?.data[0])
  if (!Number.isInteger(maxTokens) || maxTokens <= 0) throw new Error(`${MAX_LENGTH_CONST}: no token limit found`)

  progress(`converting ${files.nodes.length} TF nodes to ONNX opset ${USE_LITE_OPSET}`)
  const graph = convertTfjsGraph(files.nodes, weights, {
    graphName: 'universal_sentence_encoder_lite',
    inputs: INPUTS,
    output: { tensor: OUTPUT, name: 'embeddings', dims: ['sentences', dimensions] }
  })
  const floatModel = graph.toBytes({
    producerName: 'policy-rag convert-model',
    producerVersion: CONVERTER_VERSION,
    opset: USE_LITE_OPSET,
    docString: `Universal Sentence Encoder Lite converted from ${source.packageName}@${source.version}`,
    metadata: { source_package: source.packageName, source_version: source.version, max_tokens: String(maxTokens) }
  })
  const { model, report } = quantizeWeights(floatModel)
  const mb = (bytes: number): string => (bytes / 1e6).toFixed(1)
  progress(`stored ${report.matmuls} matmul weights and ${report.tables} embedding table as int8: ` +
    `${mb(report.bytesBefore)} MB -> ${mb(report.bytesAfter)} MB`)
  progress('writing the Unigram tokenizer.json')
  const tokenizer = new TextEncoder().encode(useLiteTokenizerJson(files.vocab))
  const card: ModelCard = {
    id: useLiteModelId(source),
    family: 'use-lite',
    dimensions,
    max_tokens: maxTokens,
    model_sha256: sha256(model),
    tokenizer_sha256: sha256(tokenizer),
    weights: WEIGHT_QUANTIZATION,
    source: { package: source.packageName, version: source.version },
    converter_version: CONVERTER_VERSION
  }
  return { model, floatModel, tokenizer, card }
}

function dimsOf (weights: Map<string, ConstTensor>, name: string): number[] {
  const w = weights.get(name)
  if (!w) throw new Error(`weight ${name} not found`)
  return w.dims
}

export function sha256 (data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}
