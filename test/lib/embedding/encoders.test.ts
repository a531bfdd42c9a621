// The encoders' tests (lib/embedding: the BERT encoder on a tiny generated model, the USE-Lite tokenizer against
// the reference) in one file: tap's process per file (~1.4 s CPU here) cost more than their cases.
import { Tokenizer as ReferenceTokenizer } from '@tensorflow-models/universal-sentence-encoder/dist/tokenizer/index.js'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { Tokenizer as HfTokenizer } from 'tokenizers'
import { PARITY_SENTENCES } from '../../../lib/embedding/convert/parity-sentences.js'
import { resolveUseLiteSource, readUseLiteFiles } from '../../../lib/embedding/convert/use-lite-source.js'
import { createEmbedder, openEncoder } from '../../../lib/embedding/embedder.js'
import { cosine, dot, rowDots } from '../../../lib/embedding/l2.js'
import { readModelCard, sha256File } from '../../../lib/embedding/model-card.js'
import { readOnnxOutputs } from '../../../lib/embedding/onnx-io.js'
import { UseLiteTokenizer, useLiteTokenizerJson } from '../../../lib/embedding/use-lite-tokenizer.js'
import { writeTinyBert } from '../../helpers/tiny-bert.js'

// ---- lib/embedding/bert.ts -----------------------------------------------------------------------------------

const root = mkdtempSync(join(tmpdir(), 'tiny-bert-'))
t.teardown(() => rmSync(root, { recursive: true, force: true }))
const { dir, hidden, maxPositions } = writeTinyBert(join(root, 'tiny-bert'))

const maxDiff = (a: Float32Array, b: Float32Array) => Math.max(...Array.from(a, (v, i) => Math.abs(v - (b[i] as number))))

t.test('rowDots: the dot product of the query with each row, for any number of columns', async (t) => {
  const columns = 7
  const matrix = Float32Array.from({ length: 3 * columns }, (_, i) => Math.sin(i + 1))
  const query = Float32Array.from({ length: columns }, (_, i) => Math.cos(i))
  const scores = rowDots(matrix, query, new Float64Array(3))
  for (let row = 0; row < 3; row++) {
    t.ok(Math.abs((scores[row] as number) - dot(matrix.subarray(row * columns, (row + 1) * columns), query)) < 1e-9, `row ${row}`)
  }
  t.same(Array.from(rowDots(matrix, query, new Float64Array(2))), Array.from(scores.subarray(0, 2)), 'only the rows asked for')
  t.throws(() => rowDots(matrix, query, new Float64Array(4)), RangeError, 'more rows than the matrix holds')
})

t.test('the card comes from the graph and the tokenizer when the folder has none', async (t) => {
  const [output] = readOnnxOutputs(join(dir, 'model.onnx'))
  t.same(output, { name: 'last_hidden_state', elemType: 1, dims: ['batch', 'sequence', hidden] })
  const card = readModelCard(dir)
  t.same(card, {
    id: 'tiny-bert',
    family: 'bert',
    dimensions: hidden,
    max_tokens: maxPositions,
    model_sha256: sha256File(join(dir, 'model.onnx')),
    tokenizer_sha256: sha256File(join(dir, 'tokenizer.json'))
  })
})

t.test('the generated model is the same bytes on every run', async (t) => {
  const again = writeTinyBert(join(root, 'again'))
  t.equal(sha256File(join(again.dir, 'model.onnx')), sha256File(join(dir, 'model.onnx')))
  t.equal(readFileSync(join(again.dir, 'tokenizer.json'), 'utf8'), readFileSync(join(dir, 'tokenizer.json'), 'utf8'))
})

t.test('embeddings: shape, normalisation, determinism, padding invariance', async (t) => {
  const embedder = createEmbedder({ modelDir: dir, cacheSize: 0 })
  t.teardown(() => embedder.close())
  t.equal(embedder.status(), 'not_loaded')
  const question = 'How many vacation days do I get?'
  const [alone] = await embedder.embed([question]) as [Float32Array]
  t.equal(embedder.status(), 'operational')
  t.equal(alone.length, hidden)
  t.ok(Math.abs(Math.sqrt(dot(alone, alone)) - 1) < 1e-6, 'unit length')

  const [again] = await embedder.embed([question]) as [Float32Array]
  t.same(Array.from(again), Array.from(alone), 'same input, same vector')

  const batch = await embedder.embed(['a', question, 'Employees accrue paid time off each month, and the policy is long.', '?'])
  t.ok(maxDiff(batch[1] as Float32Array, alone) < 1e-5, 'alone and inside a padded batch agree')
  t.ok(cosine(batch[1] as Float32Array, alone) > 0.99999)
  t.ok(cosine(batch[0] as Float32Array, alone) < 0.999, 'different texts, different vectors')
})

t.test('text longer than the model is truncated to its positions; odd input still embeds', async (t) => {
  const encoder = await openEncoder(dir, readModelCard(dir))
  t.teardown(() => encoder.release())
  const long = 'the employee policy is long and employees accrue paid time off each month '.repeat(20)
  const [ids, empty] = await encoder.tokenize([long, ''])
  t.equal(ids?.length, maxPositions, 'cut to the position table, [CLS] and [SEP] included')
  t.same(empty, [2, 3], 'empty text is [CLS] [SEP]')

  const embedder = createEmbedder({ modelDir: dir })
  t.teardown(() => embedder.close())
  const vectors = await embedder.embed([long, '', '\ud800\u0000😀', 'x'.repeat(100_000)])
  for (const v of vectors) t.ok(Math.abs(Math.sqrt(dot(v, v)) - 1) < 1e-6)
})

t.test('a model card in the folder wins over derivation', async (t) => {
  const carded = writeTinyBert(join(root, 'carded'))
  const card = { ...readModelCard(carded.dir), id: 'paraphrase-tiny@test', max_tokens: 8 }
  writeFileSync(join(carded.dir, 'model-card.json'), JSON.stringify(card))
  t.same(readModelCard(carded.dir), card)
  const encoder = await openEncoder(carded.dir, card)
  t.teardown(() => encoder.release())
  const [ids] = await encoder.tokenize(['how many vacation days do i get and how many passwords must be long'])
  t.equal(ids?.length, 8)
})

// ---- lib/embedding/use-lite-tokenizer.ts ---------------------------------------------------------------------

const { vocab } = readUseLiteFiles(resolveUseLiteSource())
const json = useLiteTokenizerJson(vocab)
const ours = UseLiteTokenizer.fromJson(json)
// The reference takes the vocabulary exactly as the package ships it, null scores included.
const reference = new ReferenceTokenizer(vocab as ConstructorParameters<typeof ReferenceTokenizer>[0])

const EDGE_CASES = [
  '', ' ', '  two  spaces ', '\t', '😀', '😀😀 x 😀', '日本語', ':', '::', ':)', ' :)', ':-) hi', '<s> </s> extra_token_id_3',
  '”5 quotes', '999', '£999.', '$1,000,000', '!!!', '...', '\u0000\u0007', '\uFFFD', 'ﬁ ligature', 'Ｆｕｌｌ', 'e\u0301', 'İstanbul'
]

t.test('token ids equal the reference tokenizer on edge cases and the parity sentences', async (t) => {
  for (const text of [...EDGE_CASES, ...PARITY_SENTENCES]) {
    t.same(ours.encode(text), reference.encode(text), JSON.stringify(text))
  }
})

t.test('token ids equal the reference on random mixes of pieces, spaces, symbols and unknowns', async (t) => {
  let seed = 2024
  const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
  const pieces = vocab.map(([piece]) => piece.replaceAll('\u2581', ' '))
  const extras = [' ', '  ', ':', ':)', '-', '😀', '\n', 'é', 'ï', 'ﬁ', '\u00a0', '\u3000', '<s>', '①', '999', '000', '!!', '9']
  let mismatches = 0
  for (let n = 0; n < 3000; n++) {
    let text = random() < 0.15 ? ':' : ''
    const parts = 1 + Math.floor(random() * 10)
    for (let i = 0; i < parts; i++) text += random() < 0.5 ? pieces[Math.floor(
      random() * pieces.length
    )] : extras[Math.floor(random() * extras.length)]
    if (JSON.stringify(ours.encode(text)) !== JSON.stringify(reference.encode(text))) {
      mismatches++
      t.fail(`differs for ${JSON.stringify(text)}`)
    }
  }
  t.equal(mismatches, 0)
})

t.test('tokenizer.json is a working HF Unigram recipe; HF only breaks exact score ties the other way', async (t) => {
  const hf = HfTokenizer.fromString(json)
  for (const text of ['How many vacation days do I get?', ':) smiley', '<s> tag', 'Café résumé 😀', '  lead']) {
    t.same((await hf.encode(text)).getIds(), reference.encode(text), JSON.stringify(text))
  }
  // Here 99|9 and 9|99 sum to exactly the same score: the reference keeps the later start, HF the earlier.
  const tie = 'Price: $1,299.99 (incl. 20% VAT) — or €1.100,50 / £999.'
  const [nine, ninetyNine] = [564, 1994]
  t.same(reference.encode(tie).slice(-3), [ninetyNine, nine, 6])
  t.same(ours.encode(tie), reference.encode(tie))
  t.same((await hf.encode(tie)).getIds().slice(-3), [nine, ninetyNine, 6])
})

t.test('a 100 KB text tokenises whole, the same way as its parts', async (t) => {
  const sentence = 'Employees accrue paid time off every month.'
  const ids = ours.encode(`${sentence} `.repeat(2400))
  const one = ours.encode(sentence)
  t.ok(ids.length > 20000)
  t.same(ids.slice(0, one.length), one)
})
