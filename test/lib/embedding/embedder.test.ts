import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { createEmbedder, modelFingerprint, openEncoder } from '../../../lib/embedding/embedder.js'
import { EmbedderUnavailableError } from '../../../lib/errors.js'
import { cosine, dot } from '../../../lib/embedding/l2.js'
import { defaultModelDir } from '../../../lib/paths.js'

const norm = (v: Float32Array) => Math.sqrt(dot(v, v))

let loads = 0
const embedder = createEmbedder({ modelDir: defaultModelDir, onLoad: () => { loads++ } })
t.teardown(() => embedder.close())

t.test('reads the card without loading, then loads once under concurrent first calls', async (t) => {
  t.equal(embedder.card.family, 'use-lite')
  t.equal(embedder.card.dimensions, 512)
  t.equal(embedder.card.max_tokens, 128)
  t.match(embedder.card.id, /^universal-sentence-encoder-lite@\d+\.\d+\.\d+$/)
  t.equal(modelFingerprint(embedder.card), `${embedder.card.id}:${embedder.card.model_sha256}`)
  t.equal(embedder.status(), 'not_loaded')
  t.equal(embedder.loaded, false)

  const results = await Promise.all(['one', 'two', 'three', 'four', 'five'].map((w) => embedder.embed([`question ${w}`])))
  t.equal(loads, 1, 'one session for five concurrent first requests')
  t.equal(embedder.status(), 'operational')
  t.equal(embedder.loaded, true)
  for (const [v] of results) {
    t.equal(v?.length, 512)
    t.ok(Math.abs(norm(v as Float32Array) - 1) < 1e-5, 'unit length')
  }
})

t.test('a question about vacation days is closest to the paid-time-off sentence', async (t) => {
  const [question, pto, expenses, passwords] = await embedder.embed([
    'How many vacation days do I get?',
    'Employees accrue paid time off at 1.5 days per month of service, up to 25 days a year.',
    'Expense reports must be submitted within 30 days with itemised receipts.',
    'Passwords must be at least 12 characters long and changed if compromised.'
  ]) as [Float32Array, Float32Array, Float32Array, Float32Array]
  const toPto = dot(question, pto)
  t.ok(toPto > dot(question, expenses), `pto ${toPto.toFixed(3)} > expenses ${dot(question, expenses).toFixed(3)}`)
  t.ok(toPto > dot(question, passwords), `pto ${toPto.toFixed(3)} > passwords ${dot(question, passwords).toFixed(3)}`)
})

t.test('batching and padding do not change a vector', async (t) => {
  const texts = Array.from({ length: 40 }, (_, i) => `Policy question number ${i}${' and more detail'.repeat(i % 7)}?`)
  const together = await embedder.embed(texts)
  const alone = createEmbedder({ modelDir: defaultModelDir, cacheSize: 0, batchSize: 1 })
  t.teardown(() => alone.close())
  for (const [i, text] of [0, 13, 39].map((i) => [i, texts[i] as string] as const)) {
    const [single] = await alone.embed([text])
    t.ok(cosine(single as Float32Array, together[i] as Float32Array) > 0.99999, `text ${i}`)
  }
  t.same(await embedder.embed([]), [])
})

t.test('the cache returns equal vectors as copies', async (t) => {
  const [a] = await embedder.embed(['Who approves my expense report?'])
  const [b] = await embedder.embed(['Who approves my expense report?'])
  t.same(Array.from(b as Float32Array), Array.from(a as Float32Array))
  ;(a as Float32Array)[0] = 42
  const [c] = await embedder.embed(['Who approves my expense report?'])
  t.not((c as Float32Array)[0], 42, 'callers cannot corrupt the cache')
  const twice = await embedder.embed(['same', 'same'])
  t.same(Array.from(twice[0] as Float32Array), Array.from(twice[1] as Float32Array))
})

t.test('awkward input still gives a unit vector', async (t) => {
  const awkward = {
    empty: '',
    spaces: '   ',
    'unpaired surrogates': '\ud800 lone \udc00 halves \ud83d',
    'control characters': '\u0000\u0001\u0007\u001b[31m\u007f',
    'only unknown symbols': '😀😀😀 🎉 日本語',
    '100 KB': 'Employees accrue paid time off every month. '.repeat(2330)
  }
  const vectors = await embedder.embed(Object.values(awkward))
  Object.keys(awkward).forEach((name, i) => {
    const v = vectors[i] as Float32Array
    t.equal(v.length, 512, name)
    t.ok(v.every(Number.isFinite), `${name}: finite`)
    t.ok(Math.abs(norm(v) - 1) < 1e-5, `${name}: unit length`)
  })
})

t.test('input past 128 tokens is truncated: what follows cannot change the vector', async (t) => {
  const long = 'The employee handbook covers leave, travel, expenses, security and conduct in detail. '.repeat(12)
  const encoder = await openEncoder(defaultModelDir, embedder.card)
  t.teardown(() => encoder.release())
  const [ids] = await encoder.tokenize([long])
  t.equal(ids?.length, 128)
  const [a, b] = await embedder.embed([long, `${long} Passwords rotate yearly.`])
  t.ok(cosine(a as Float32Array, b as Float32Array) > 0.999999)
})

t.test('two intra-op threads give the same vectors', async (t) => {
  const threaded = createEmbedder({ modelDir: defaultModelDir, intraOpNumThreads: 2, cacheSize: 0 })
  t.teardown(() => threaded.close())
  const text = 'Can I carry unused PTO into next year?'
  const [[a], [b]] = await Promise.all([embedder.embed([text]), threaded.embed([text])])
  t.ok(cosine(a as Float32Array, b as Float32Array) > 0.99999)
})

t.test('a missing model folder makes an unavailable embedder, not an exception', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'no-model-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const missing = createEmbedder({ modelDir: join(dir, 'nothing-here') })
  t.equal(missing.status(), 'unavailable')
  t.match(missing.reason, /nothing-here.*model\.onnx is missing/)
  t.equal(missing.card.id, 'unavailable')
  await t.rejects(missing.embed(['hello']), EmbedderUnavailableError)
  await missing.close()
})

t.test('close releases the session; later calls reject', async (t) => {
  const local = createEmbedder({ modelDir: defaultModelDir })
  await local.embed(['warm'])
  t.equal(local.status(), 'operational')
  await local.close()
  t.equal(local.loaded, false)
  await t.rejects(local.embed(['after close']), /closed/)
  await local.close()
})
