import t from 'tap'
import { createEmbedder } from '../../lib/embedding/embedder.js'
import { answerExtractively, splitSentences } from '../../lib/extractive.js'
import { defaultModelDir } from '../../lib/paths.js'

t.test('splitSentences: markdown lines to plain sentences', async (t) => {
  const md = [
    '## Carry-over',
    'Up to 5 unused days carry over. They expire on 31 March if unused.',
    '',
    '| Grade | Days |',
    '| --- | --- |',
    '| Senior staff | 25 days a year |',
    '- **Bold** items lose their markup and [links](https://x.example) keep their text.',
    'Too short.'
  ].join('\n')
  t.same(splitSentences(md), [
    'Up to 5 unused days carry over.',
    'They expire on 31 March if unused.',
    'Senior staff: 25 days a year',
    'Bold items lose their markup and links keep their text.'
  ])
})

t.test('a list lead-in keeps the items it announces', async (t) => {
  const md = 'Report harassment to any of the following:\n- your manager;\n- the SpeakSafe hotline, 1-800-555-0147.\n\nReports are answered within 2 working days.'
  t.same(splitSentences(md), ['Report harassment to any of the following: your manager; the SpeakSafe hotline, 1-800-555-0147', 'Reports are answered within 2 working days.'])
})

t.test('answers with the passage sentence that answers the question, cited', async (t) => {
  const embedder = createEmbedder({ modelDir: defaultModelDir })
  t.teardown(() => embedder.close())
  const embed = (texts: string[]): Promise<Float32Array[]> => embedder.embed(texts)
  const passages = [
    { n: 1, heading: 'Expenses > Receipts', text: 'Keep itemised receipts for every expense over $25. Lost receipts need a signed declaration.' },
    { n: 2, heading: 'Paid Time Off > Carry-over', text: 'Up to 5 unused PTO days carry over to the next year and expire on 31 March. Unused days beyond that are lost.' },
    { n: 3, heading: 'Passwords', text: 'Passwords must be at least 14 characters long. Use the company password manager for every account.' }
  ]
  const question = 'Can I carry unused vacation days into next year?'
  const [qv] = await embed([question])
  const answer = await answerExtractively(question, qv as Float32Array, passages, embed)
  t.ok(answer, 'an answer')
  t.match(answer?.answer, /^Up to 5 unused PTO days carry over to the next year and expire on 31 March \[2\]\./)
  t.equal(answer?.cited[0], 2)
  t.notOk(answer?.cited.includes(3), 'the password passage is not quoted')
  for (const m of answer?.answer.matchAll(/\[(\d+)\]/g) ?? []) t.ok(answer?.cited.includes(Number(m[1])), `[${m[1]}] is listed as cited`)

  const nothing = await answerExtractively('zzzz qqqq', (await embed(['zzzz qqqq']))[0] as Float32Array, passages, embed, { minScore: 0.9 })
  t.equal(nothing, null, 'below the confidence floor there is no answer')
  t.equal(await answerExtractively(question, qv as Float32Array, [], embed), null, 'no passages, no answer')
})

t.test('plainText: passages shown without Markdown syntax', async (t) => {
  const { plainText } = await import('../../lib/markdown-text.js')
  t.equal(plainText('# Paid Time Off\n\n## Carry-over\nUp to **5 days** carry over.\n- see [Sick Leave](sick.md)\n'), 'Up to 5 days carry over.\n• see Sick Leave')
})
