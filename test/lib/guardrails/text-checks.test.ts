import t from 'tap'
import fc from 'fast-check'
import { findUnpairedSurrogate, validateText } from '../../../lib/guardrails/text-checks.js'

const limits = { maxLength: 2000 }

t.test('ordinary questions pass, including emoji, accents, tabs and new lines', async (t) => {
  for (const text of ['How many PTO days do I get?', 'Résumé 📄 for my transfer\nand\ttabs\r\n', '日本の祝日は？', '-----\n=====\n.....']) {
    t.equal(validateText(text, limits), null, text)
  }
})

t.test('control characters are named with their position', async (t) => {
  t.same(validateText('PTO\u0000 days', limits), { message: 'question contains a control character (U+0000) at position 3' })
  t.match(validateText('bell \u0007', limits)?.message, /U\+0007/)
  t.match(validateText('next line \u0085', limits)?.message, /U\+0085/)
  t.match(validateText('escape \u001b[31m', limits, 'history[0].content')?.message, /^history\[0\]\.content contains/)
})

t.test('unpaired surrogates are rejected, pairs are fine', async (t) => {
  t.match(validateText('bad \uD83D here', limits)?.message, /unpaired UTF-16 surrogate at position 4/)
  t.match(validateText('bad \uDE00', limits)?.message, /unpaired/)
  t.equal(findUnpairedSurrogate('ok \uD83D\uDE00'), -1)
})

t.test('absurd length and repetition', async (t) => {
  t.match(validateText('a'.repeat(2001), limits)?.message, /too long: 2001 characters, at most 2000/)
  t.equal(validateText('😀a'.repeat(1000), limits), null, 'length counts characters, not UTF-16 units')
  t.match(validateText('help' + '!'.repeat(100), limits)?.message, /repeats the character "!"/)
  t.match(validateText('pto '.repeat(30), limits)?.message, /same word more than 24 times/)
  t.match(validateText('   \n ', limits)?.message, /empty/)
})

t.test('property: any string made only of printable characters and whitespace passes when short', async (t) => {
  const printable = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz ABC?!.,\n\t0123456789éü€'.split('')), minLength: 1, maxLength: 200 })
    .filter((s) => s.trim().length > 0 && !/(\S)\1{64}/.test(s))
  fc.assert(fc.property(printable, (s) => validateText(s, limits) === null || /same word/.test(validateText(s, limits)?.message ?? '')), { numRuns: 300 })
  t.pass()
})
