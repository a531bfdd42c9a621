import type { Tokenizer } from 'tokenizers'
import type { Encoder } from './encoder.js'
import type { OpenSession } from './onnx-session.js'
import { sanitizeText } from './text.js'

type IntType = 'int64' | 'int32'

/**
 * A sentence-transformers ONNX export of a BERT model (input_ids, attention_mask and, when the
 * graph has it, token_type_ids; output last_hidden_state). Batches are padded to their longest
 * text; attention-masked mean pooling makes the padding invisible. Texts are cut to
 * `maxTokens` tokens, [CLS] and [SEP] included.
 */
export class BertEncoder implements Encoder {
  private readonly padId: number

  constructor (
    private readonly runtime: OpenSession,
    private readonly tokenizer: Tokenizer,
    maxTokens: number,
    private readonly dimensions: number
  ) {
    tokenizer.setTruncation(maxTokens)
    tokenizer.disablePadding()
    this.padId = tokenizer.tokenToId('[PAD]') ?? 0
  }

  async tokenize (texts: string[]): Promise<number[][]> {
    const encodings = await this.tokenizer.encodeBatch(texts.map(sanitizeText))
    return encodings.map((e) => {
      const ids = e.getIds()
      return ids.length ? ids : [this.padId]
    })
  }

  async run (batch: number[][]): Promise<Float32Array[]> {
    const width = Math.max(...batch.map((ids) => ids.length))
    const mask = new Uint8Array(batch.length * width)
    const ids = Array.from({ length: batch.length * width }, () => this.padId)
    batch.forEach((row, b) => row.forEach((id, t) => { ids[b * width + t] = id; mask[b * width + t] = 1 }))
    const { session } = this.runtime
    const out = await session.run(this.feeds(ids, mask, [batch.length, width]))
    const pooled = session.outputNames.includes('sentence_embedding')
    const result = out[pooled ? 'sentence_embedding' : session.outputNames[0] as string]
    if (!result) throw new Error('bert: the model returned no output')
    const data = result.data as Float32Array
    if (pooled) return batch.map((_, b) => data.slice(b * this.dimensions, (b + 1) * this.dimensions))
    if (result.dims.length !== 3 || result.dims[2] !== this.dimensions) {
      throw new Error(`bert: expected [batch, tokens, ${this.dimensions}] hidden states, got [${String(result.dims)}]`)
    }
    return batch.map((_, b) => meanPool(data, mask, b, width, this.dimensions))
  }

  async release (): Promise<void> {
    await this.runtime.session.release()
  }

  private feeds (ids: number[], mask: Uint8Array, dims: number[]): Record<string, InstanceType<OpenSession['Tensor']>> {
    const { session, Tensor } = this.runtime
    const columns: Record<string, ArrayLike<number>> = {
      input_ids: ids,
      attention_mask: mask,
      token_type_ids: new Uint8Array(ids.length)
    }
    const feeds: Record<string, InstanceType<OpenSession['Tensor']>> = {}
    for (const meta of session.inputMetadata) {
      const column = columns[meta.name]
      if (!column) throw new Error(`bert: unexpected model input ${meta.name}`)
      const type: IntType = meta.isTensor && meta.type === 'int32' ? 'int32' : 'int64'
      const data = type === 'int32' ? Int32Array.from(column) : BigInt64Array.from(Array.from(column), (v) => BigInt(v))
      feeds[meta.name] = new Tensor(type, data, dims)
    }
    return feeds
  }
}

function meanPool (hidden: Float32Array, mask: Uint8Array, b: number, width: number, dims: number): Float32Array {
  const out = new Float32Array(dims)
  let count = 0
  for (let t = 0; t < width; t++) {
    if (!mask[b * width + t]) continue
    count++
    const base = (b * width + t) * dims
    for (let d = 0; d < dims; d++) out[d] = (out[d] as number) + (hidden[base + d] as number)
  }
  for (let d = 0; d < dims; d++) out[d] = (out[d] as number) / Math.max(count, 1)
  return out
}
