import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { createEmbedder, openEncoder } from '../../../lib/embedding/embedder.js'
import { cosine, dot } from '../../../lib/embedding/l2.js'
import { readModelCard, sha256File } from '../../../lib/embedding/model-card.js'
import { readOnnxOutputs } from '../../../lib/embedding/onnx-io.js'
import { writeTinyBert } from '../../helpers/tiny-bert.js'

const root = mkdtempSync(join(tmpdir(), 'tiny-bert-'))
t.teardown(() => rmSync(root, { recursive: true, force: true }))
const { dir, hidden, maxPositions } = writeTinyBert(join(root, 'tiny-bert'))

const maxDiff = (a: Float32Array, b: Float32Array) => Math.max(...Array.from(a, (v, i) => Math.abs(v - (b[i] as number))))

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
