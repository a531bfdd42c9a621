import type { Encoder } from './encoder.js'
import type { OpenSession } from './onnx-session.js'
import { sanitizeText } from './text.js'
import type { UseLiteTokenizer } from './use-lite-tokenizer.js'

/** What an empty text is fed as: the graph needs at least one token per sentence to emit its row. */
const UNK_ID = 0

/**
 * USE-Lite behind the graph's own sparse interface: `indices` [n, 2] (sentence, position) and
 * `values` [n] (token id) for all tokens of a batch. Texts are cut to `maxTokens` tokens (128,
 * the graph's ClipToMaxLength), which is what the graph itself would do.
 */
export class UseLiteEncoder implements Encoder {
  constructor (
    private readonly runtime: OpenSession,
    private readonly tokenizer: UseLiteTokenizer,
    private readonly maxTokens: number,
    private readonly dimensions: number
  ) {}

  async tokenize (texts: string[]): Promise<number[][]> {
    return texts.map((text) => {
      const ids = this.tokenizer.encode(sanitizeText(text)).slice(0, this.maxTokens)
      return ids.length ? ids : [UNK_ID]
    })
  }

  async run (batch: number[][]): Promise<Float32Array[]> {
    const total = batch.reduce((n, ids) => n + ids.length, 0)
    const indices = new BigInt64Array(total * 2)
    const values = new BigInt64Array(total)
    let k = 0
    batch.forEach((ids, sentence) => {
      ids.forEach((id, position) => {
        indices[2 * k] = BigInt(sentence)
        indices[2 * k + 1] = BigInt(position)
        values[k++] = BigInt(id)
      })
    })
    const { session, Tensor } = this.runtime
    const out = await session.run({
      indices: new Tensor('int64', indices, [total, 2]),
      values: new Tensor('int64', values, [total])
    })
    const result = out[session.outputNames[0] as string]
    if (!result || result.dims[0] !== batch.length || result.dims[1] !== this.dimensions) {
      throw new Error(`use-lite: expected [${batch.length}, ${this.dimensions}] embeddings, got [${String(result?.dims)}]`)
    }
    const data = result.data as Float32Array
    return batch.map((_, i) => data.slice(i * this.dimensions, (i + 1) * this.dimensions))
  }

  async release (): Promise<void> {
    await this.runtime.session.release()
  }
}
