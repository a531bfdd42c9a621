import { Tokenizer as ReferenceTokenizer } from '@tensorflow-models/universal-sentence-encoder/dist/tokenizer/index.js'
import t from 'tap'
import { Tokenizer as HfTokenizer } from 'tokenizers'
import { PARITY_SENTENCES } from '../../../lib/embedding/convert/parity-sentences.js'
import { resolveUseLiteSource, readUseLiteFiles } from '../../../lib/embedding/convert/use-lite-source.js'
import { UseLiteTokenizer, useLiteTokenizerJson } from '../../../lib/embedding/use-lite-tokenizer.js'

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
    for (let i = 0; i < parts; i++) text += random() < 0.5 ? pieces[Math.floor(random() * pieces.length)] : extras[Math.floor(random() * extras.length)]
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
