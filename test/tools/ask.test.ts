import t from 'tap'
import { ask, formatReply } from '../../tools/ask.js'
import { build } from '../helper.js'

const QUESTION = 'Can I carry unused PTO into next year?'

t.test('asks a running instance over HTTP and prints the answer with its sources', async (t) => {
  const app = await build(t, { API_KEYS: 'k1' })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const reply = await ask({ question: QUESTION, url, apiKey: 'k1' })
  t.equal(reply.status, 200)
  const text = formatReply(reply, 60)
  t.match(text, /\n\nSources:\n {2}\[\d+\] Paid Time Off › .+ {2}\(pto-policy\)/)
  t.match(text, /\(extractive, \d+ ms\)/)
  const answerLines = text.split('\n\n')[0]?.split('\n') ?? []
  t.ok(answerLines.length > 1 && answerLines.every((l) => l.length <= 60), 'the answer is wrapped to the width')

  const refused = await ask({ question: QUESTION, url })
  t.equal(refused.status, 401)
  t.match(formatReply(refused), /^error 401: A valid API key is required/)
})

t.test('without a URL it asks an app built in this process', async (t) => {
  const reply = await ask({ question: QUESTION, topK: 3 })
  t.equal(reply.status, 200)
  t.ok((reply.body.citations ?? []).length > 0, 'cites sources')
  t.ok(reply.body.citations?.some((c) => c.document_id === 'pto-policy'))
})
