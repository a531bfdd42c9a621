import t from 'tap'
import { build, captureLogs, sharedEmbedder } from '../helper.js'

const PII = [
  'jane.doe@example.org', '4111 1111 1111 1111', '+44 20 7946 0958', '078-05-1120', 'GB82 WEST 1234 5698 7654 32', '203.0.113.77'
]

t.test('PII in questions and history never reaches the logs, at any log level', async (t) => {
  for (const level of ['standard', 'strict'] as const) {
    const logs = captureLogs()
    const app = await build(
      t,
      { GUARDRAILS_LEVEL: level, LOG_LEVEL: 'trace' },
      { logger: true, logStream: logs.stream, embedder: sharedEmbedder() }
    )
    const question = 'I am jane.doe@example.org, card 4111 1111 1111 1111, phone +44 20 7946 0958, SSN 078-05-1120, ' +
      'IBAN GB82 WEST 1234 5698 7654 32, IP 203.0.113.77: how many sick days do I get?'
    const res = await app.inject({
      method: 'POST',
      url: '/chat',
      payload: {
        question,
        history: [{ role: 'user', content: 'my email is jane.doe@example.org' }, { role: 'assistant', content: 'Noted.' }]
      }
    })
    t.equal(res.statusCode, 200)
    const body = res.json()
    if (level === 'strict') {
      t.equal(body.mode, 'refused', 'strict refuses a question carrying a card number or SSN')
    } else {
      t.equal(body.mode, 'extractive')
      t.same([...body.guardrails.input.pii_redacted].sort(), ['card', 'email', 'iban', 'ip', 'phone', 'ssn'])
    }
    await app.inject({ method: 'POST', url: '/search', payload: { query: 'sick days for jane.doe@example.org' } })
    await app.close()
    const text = logs.text()
    t.ok(logs.lines().length > 3, `${level}: logs were written (${logs.lines().length} lines)`)
    for (const value of PII) t.notOk(text.includes(value), `${level}: "${value}" is not in the logs`)
    t.notOk(text.includes('jane.doe'), `${level}: no part of the e-mail address is logged`)
  }
})

t.test('a follow-up is judged with the turn it leans on: how a concern about the CEO is handled is no request for his data', async (t) => {
  const app = await build(t, {}, { embedder: sharedEmbedder() })
  type Turn = { role: string, content: string }
  const ask = async (question: string, history: Turn[] = []): Promise<{ mode: string, reason?: string }> =>
    (await app.inject({ method: 'POST', url: '/chat', payload: { question, history } })).json()
  const history = [
    { role: 'user', content: 'What protections do whistleblowers get?' },
    { role: 'assistant', content: 'Reports made in good faith are protected from retaliation.' }
  ]
  const followUp = await ask("and if it's about the CEO?", history)
  t.not(followUp.reason, 'other_person_data', 'answered, not refused as a request about a person')
  t.equal((await ask('Who reported the CEO to the hotline?', history)).reason, 'other_person_data', 'who reported whom still is')
})
