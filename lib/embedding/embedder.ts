import { LRUCache } from 'lru-cache'
import type { EmbeddingState } from '../../schemas/health.js'
import { EmbedderUnavailableError } from '../errors.js'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BertEncoder } from './bert-encoder.js'
import type { Encoder } from './encoder.js'
import { l2Normalize } from './l2.js'
import { MODEL_FILE, ModelDirError, readModelCard, TOKENIZER_FILE, type ModelCard } from './model-card.js'
import { loadTokenizer, openSession } from './onnx-session.js'
import { UseLiteEncoder } from './use-lite-encoder.js'
import { UseLiteTokenizer } from './use-lite-tokenizer.js'

export type { Encoder } from './encoder.js'
export type { ModelCard, ModelFamily } from './model-card.js'


export interface Embedder {
  /** Read at construction, cheap, no session load. A placeholder (id `unavailable`) when the folder is unusable. */
  readonly card: ModelCard
  readonly loaded: boolean
  /** Why the embedder is unavailable, when it is. */
  readonly reason: string | undefined
  status (): EmbeddingState
  /** L2-normalised vectors, one per text, in order. Loads the session on first use, once. */
  embed (texts: string[]): Promise<Float32Array[]>
  close (): Promise<void>
}

export interface EmbedderOptions {
  modelDir: string
  /** onnxruntime intra-op threads (default 1). */
  intraOpNumThreads?: number
  /** Texts whose vectors are kept in an LRU cache (default 256; 0 disables it). */
  cacheSize?: number
  /** Texts per inference run (default 32). */
  batchSize?: number
  /** Called once the session is open, with the time it took. */
  onLoad?: (ms: number) => void
}

/** What the index stores to tell which model built it. */
export function modelFingerprint (card: ModelCard): string {
  return `${card.id}:${card.model_sha256}`
}

/** The family's tokenizer and session over a model folder (the embedder uses it; tools check token ids with it). */
export async function openEncoder (modelDir: string, card: ModelCard, intraOpNumThreads = 1): Promise<Encoder> {
  const tokenizerPath = join(modelDir, TOKENIZER_FILE)
  const runtime = await openSession(join(modelDir, MODEL_FILE), { intraOpNumThreads })
  const { family, max_tokens: maxTokens, dimensions } = card
  try {
    return family === 'use-lite'
      ? new UseLiteEncoder(runtime, UseLiteTokenizer.fromJson(await readFile(tokenizerPath, 'utf8')), maxTokens, dimensions)
      : new BertEncoder(runtime, await loadTokenizer(tokenizerPath), maxTokens, dimensions)
  } catch (err) {
    await runtime.session.release()
    throw err
  }
}

const UNAVAILABLE_CARD: ModelCard = Object.freeze({
  id: 'unavailable',
  family: 'use-lite',
  dimensions: 0,
  max_tokens: 0,
  model_sha256: '',
  tokenizer_sha256: ''
})

/**
 * An embedder over a model folder (model.onnx, tokenizer.json, optional model-card.json).
 * Never throws: an unusable folder gives an embedder whose status is `unavailable` and whose
 * `embed` rejects with the reason.
 */
export function createEmbedder (opts: EmbedderOptions): Embedder {
  let card: ModelCard
  try {
    card = readModelCard(opts.modelDir)
  } catch (err) {
    const reason = err instanceof ModelDirError || err instanceof SyntaxError ? err.message : String(err)
    return new OnnxEmbedder(UNAVAILABLE_CARD, opts, `model folder ${opts.modelDir} is not usable: ${reason}`)
  }
  return new OnnxEmbedder(card, opts)
}

class OnnxEmbedder implements Embedder {
  private encoder: Encoder | undefined
  private loading: Promise<Encoder> | undefined
  private failure: string | undefined
  private closed = false
  private closing: Promise<void> | undefined
  private readonly inflight = new Set<Promise<unknown>>()
  private readonly pending = new Map<string, Promise<Float32Array>>()
  private readonly cache: LRUCache<string, Float32Array> | undefined
  private readonly batchSize: number

  constructor (readonly card: ModelCard, private readonly opts: EmbedderOptions, failure?: string) {
    this.failure = failure
    const size = opts.cacheSize ?? 256
    this.cache = size > 0 ? new LRUCache({ max: size }) : undefined
    this.batchSize = Math.max(1, opts.batchSize ?? 32)
  }

  get loaded (): boolean {
    return this.encoder !== undefined
  }

  get reason (): string | undefined {
    return this.failure
  }

  status (): EmbeddingState {
    if (this.failure !== undefined) return 'unavailable'
    return this.encoder ? 'operational' : 'not_loaded'
  }

  async embed (texts: string[]): Promise<Float32Array[]> {
    if (this.closed) throw new EmbedderUnavailableError('the embedder is closed')
    const results = texts.map((t) => this.cache?.get(t))
    const missing = [...new Set(texts.filter((_, i) => results[i] === undefined))]
    if (missing.length) {
      const byText = new Map(await Promise.all(this.vectorsFor(missing).map(async ([text, vector]) => [text, await vector] as const)))
      texts.forEach((t, i) => { results[i] ??= byText.get(t) })
    }
    return results.map((v) => (v as Float32Array).slice())
  }

  /**
   * One promise per text: the run already computing it, or a new run for the rest. Concurrent
   * requests retrieve the same passages, so without this each would embed the same sentences.
   */
  private vectorsFor (texts: string[]): Array<[string, Promise<Float32Array>]> {
    const fresh = texts.filter((t) => !this.pending.has(t))
    if (fresh.length) {
      const run = this.track(this.compute(fresh))
      fresh.forEach((text, i) => {
        const vector = run.then((vectors) => vectors[i] as Float32Array)
        this.pending.set(text, vector)
        vector.then((v) => this.cache?.set(text, v), () => {}).finally(() => this.pending.delete(text))
      })
    }
    return texts.map((t) => [t, this.pending.get(t) as Promise<Float32Array>])
  }

  async close (): Promise<void> {
    this.closing ??= this.shutdown()
    await this.closing
  }

  private async shutdown (): Promise<void> {
    this.closed = true
    await Promise.allSettled(this.inflight)
    const encoder = this.encoder ?? await this.loading?.catch(() => undefined)
    this.encoder = undefined
    await encoder?.release()
  }

  private async compute (texts: string[]): Promise<Float32Array[]> {
    const encoder = await this.load()
    const tokens = await encoder.tokenize(texts)
    // Similar lengths share a batch, so little compute goes to padding.
    const order = tokens.map((_, i) => i).sort((a, b) => (tokens[a] as number[]).length - (tokens[b] as number[]).length)
    const out: Float32Array[] = []
    for (let start = 0; start < order.length; start += this.batchSize) {
      const slice = order.slice(start, start + this.batchSize)
      const vectors = await encoder.run(slice.map((i) => tokens[i] as number[]))
      slice.forEach((i, k) => { out[i] = l2Normalize(vectors[k] as Float32Array) })
    }
    return out
  }

  /** Opens once however many calls wait on it. A failure sticks: the files will not fix themselves. */
  private async load (): Promise<Encoder> {
    if (this.encoder) return this.encoder
    if (this.failure !== undefined) throw this.unavailable()
    this.loading ??= this.open().then((encoder) => {
      this.encoder = encoder
      return encoder
    }, (err: unknown) => {
      this.failure = `loading ${this.opts.modelDir} failed: ${err instanceof Error ? err.message : String(err)}`
      throw this.unavailable()
    })
    return await this.loading
  }

  /** The failure's detail (a path, onnxruntime's words) stays in the cause, for the log: clients see the message. */
  private unavailable (): Error {
    return new EmbedderUnavailableError('the embedding model could not be loaded (see the service log)', { cause: new Error(this.failure) })
  }

  private async open (): Promise<Encoder> {
    const started = performance.now()
    const encoder = await openEncoder(this.opts.modelDir, this.card, this.opts.intraOpNumThreads ?? 1)
    this.opts.onLoad?.(performance.now() - started)
    return encoder
  }

  private async track<T> (work: Promise<T>): Promise<T> {
    this.inflight.add(work)
    try {
      return await work
    } finally {
      this.inflight.delete(work)
    }
  }
}
