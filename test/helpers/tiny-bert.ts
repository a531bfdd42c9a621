import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { GraphBuilder } from '../../lib/embedding/convert/onnx-builder.js'

/**
 * A sentence-transformers-shaped BERT export with random weights, small enough to build in
 * milliseconds: WordPiece tokenizer.json ([CLS] … [SEP]), inputs input_ids / attention_mask /
 * token_type_ids (int64 [batch, sequence]), one post-LN encoder layer with masked multi-head
 * attention, output last_hidden_state [batch, sequence, hidden]. No model-card.json, so the
 * embedder has to derive the card from the graph and the tokenizer.
 */
export interface TinyBertOptions {
  hidden?: number
  heads?: number
  ffn?: number
  /** Positions the model has; also the tokenizer's truncation length. */
  maxPositions?: number
  seed?: number
}

export const TINY_BERT_WORDS = [
  'how', 'many', 'vacation', 'days', 'do', 'i', 'get', 'the', 'policy', 'employee', 'employees',
  'accrue', 'paid', 'time', 'off', 'each', 'month', 'expense', 'report', 'reports', 'password',
  'passwords', 'must', 'be', 'long', 'a', 'an', 'and', 'of', 'to', 'is', 'are', 'for', 'in',
  '##s', '##ing', '##ed', '?', '.', ',', '!', '1', '2', '3'
]

export function writeTinyBert (dir: string, opts: TinyBertOptions = {}): { dir: string, hidden: number, maxPositions: number } {
  const hidden = opts.hidden ?? 32
  const maxPositions = opts.maxPositions ?? 16
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...TINY_BERT_WORDS]
  mkdirSync(dir, { recursive: true })
  const model = buildModel(vocab.length, { hidden, heads: opts.heads ?? 2, ffn: opts.ffn ?? 64, maxPositions, seed: opts.seed ?? 7 })
  writeFileSync(join(dir, 'model.onnx'), model)
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(wordPieceTokenizer(vocab, maxPositions)))
  return { dir, hidden, maxPositions }
}

function wordPieceTokenizer (vocab: string[], maxLength: number): object {
  const special = (content: string, id: number) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true
  })
  return {
    version: '1.0',
    truncation: { direction: 'Right', max_length: maxLength, strategy: 'LongestFirst', stride: 0 },
    padding: null,
    added_tokens: vocab.slice(0, 5).map((token, id) => special(token, id)),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } }
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } }
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] }
      }
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, id) => [token, id]))
    }
  }
}

interface Shape { hidden: number, heads: number, ffn: number, maxPositions: number, seed: number }

function buildModel (vocabSize: number, s: Shape): Uint8Array {
  const g = new GraphBuilder('tiny_bert')
  const random = mulberry32(s.seed)
  const weight = (name: string, dims: number[], scale = 0.2) =>
    g.initializer(name, 'float32', dims, Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (random() * 2 - 1) * scale))
  const ones = (name: string, n: number) => g.initializer(name, 'float32', [n], new Float32Array(n).fill(1))
  const zeros = (name: string, n: number) => g.initializer(name, 'float32', [n], new Float32Array(n))
  const headDim = s.hidden / s.heads

  const ids = g.input('input_ids', 'int64', ['batch', 'sequence'])
  const mask = g.input('attention_mask', 'int64', ['batch', 'sequence'])
  const types = g.input('token_type_ids', 'int64', ['batch', 'sequence'])

  const seqLen = g.op('Gather', [g.op('Shape', [ids], 'shape'), g.scalar('one', 'int64', 1)], 'seq_len', { axis: { i: 0 } })
  const positions = g.op('Range', [g.scalar('zero', 'int64', 0), seqLen, g.scalar('step', 'int64', 1)], 'positions')
  const summed = g.op('Add', [
    g.op('Add', [
      g.op('Gather', [weight('word_embeddings', [vocabSize, s.hidden], 1), ids], 'word'),
      g.op('Gather', [weight('position_embeddings', [s.maxPositions, s.hidden], 1), positions], 'position')
    ], 'word_position'),
    g.op('Gather', [weight('token_type_embeddings', [2, s.hidden], 1), types], 'token_type')
  ], 'embeddings_sum')
  const layerNorm = (x: string, name: string) =>
    g.op(
      'LayerNormalization',
      [x, ones(`${name}.scale`, s.hidden), zeros(`${name}.bias`, s.hidden)],
      name,
      { axis: { i: -1 }, epsilon: { f: 1e-12 } }
    )
  const dense = (x: string, name: string, inDim: number, outDim: number) =>
    g.op(
      'Add',
      [g.op('MatMul', [x, weight(`${name}.weight`, [inDim, outDim])], `${name}/matmul`), weight(`${name}.bias`, [outDim], 0.05)],
      name
    )
  const x0 = layerNorm(summed, 'embeddings_ln')

  // Padding keys get -10000 before the softmax, so padded positions never influence real ones.
  const maskFloat = g.op('Cast', [mask], 'mask_float', { to: { i: 1 } })
  const inverted = g.op('Sub', [g.scalar('one_f', 'float32', 1), maskFloat], 'mask_inverted')
  const bias = g.op(
    'Unsqueeze',
    [g.op('Mul', [inverted, g.scalar('neg', 'float32', -10000)], 'mask_bias_2d'), g.int64s('mask_axes', [1, 2])],
    'mask_bias'
  )

  const split = g.int64s('split_shape', [0, 0, s.heads, headDim])
  const heads = (x: string, name: string, perm: number[]) => g.op(
    'Transpose',
    [g.op('Reshape', [x, split], `${name}/split`)],
    name,
    { perm: { ints: perm } }
  )
  const q = heads(dense(x0, 'query', s.hidden, s.hidden), 'q_heads', [0, 2, 1, 3])
  const kT = heads(dense(x0, 'key', s.hidden, s.hidden), 'k_heads_t', [0, 2, 3, 1])
  const v = heads(dense(x0, 'value', s.hidden, s.hidden), 'v_heads', [0, 2, 1, 3])
  const scores = g.op(
    'Add',
    [g.op('Mul', [g.op('MatMul', [q, kT], 'qk'), g.scalar('scale', 'float32', 1 / Math.sqrt(headDim))], 'qk_scaled'), bias],
    'scores'
  )
  const context = g.op('MatMul', [g.op('Softmax', [scores], 'probs', { axis: { i: -1 } }), v], 'context_heads')
  const merged = g.op(
    'Reshape',
    [g.op('Transpose', [context], 'context_t', { perm: { ints: [0, 2, 1, 3] } }), g.int64s('merge_shape', [0, 0, s.hidden])],
    'context'
  )
  const x1 = layerNorm(g.op('Add', [x0, dense(merged, 'attention_output', s.hidden, s.hidden)], 'attention_residual'), 'attention_ln')
  const inner = g.op('Relu', [dense(x1, 'intermediate', s.hidden, s.ffn)], 'intermediate_act')
  const x2 = layerNorm(g.op('Add', [x1, dense(inner, 'ffn_output', s.ffn, s.hidden)], 'ffn_residual'), 'output_ln')
  g.op('Identity', [x2], 'last_hidden_state')
  g.output('last_hidden_state', 'float32', ['batch', 'sequence', s.hidden])
  return g.toBytes({ producerName: 'policy-rag tiny-bert test helper', producerVersion: '1', opset: 18 })
}

/** A small deterministic PRNG, so the same seed gives the same weights on every run. */
function mulberry32 (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
