import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { CONDENSE_MAX_TOKENS, CONDENSE_SYSTEM_PROMPT } from '../../lib/answer/condense-prompt.js'
import type { AppConfig } from '../../lib/config.js'
import type { FakeLlmServer, FakeStep, RecordedRequest } from '../../tools/lib/fake-llm-server.js'
import { build, captureLogs, fakeLlm, llmConfig, sharedEmbedder, type LogCapture } from '../helper.js'

// After a vacation question, "What about parental leave?" is retrieved with the vacation turn and finds the Sick Leave
// policy first; the standalone question finds the Parental Leave policy.
const HISTORY = [
  { role: 'user', content: 'How many vacation days do I get?' },
  { role: 'assistant', content: 'Full-time employees get 20 days of paid time off a year [1].' }
]
const FOLLOW_UP = 'What about parental leave?'
const REWRITE = 'How much parental leave do I get?'
const RIGHT_POLICY = 'parental-leave-policy'
const ANSWER = 'The policy sets this out [1].'

interface Body {
  mode: string
  reason?: string
  answer: string
  citations: Array<{ document_id: string }>
  timings_ms: { retrieval: number }
}
interface Sent { messages: Array<{ role: string, content: string }>, max_tokens: number, temperature: number, stream: boolean }

async function setup (t: Test, config: Partial<AppConfig> = {}, logs?: LogCapture): Promise<{ fake: FakeLlmServer, app: FastifyInstance }> {
  const fake = await fakeLlm(t)
  fake.setDefault({ text: ANSWER })
  const app = await build(t, { ...llmConfig(fake), ...config }, {
    embedder: sharedEmbedder(),
    ...(logs === undefined ? {} : { logger: true, logStream: logs.stream })
  })
  return { fake, app }
}

async function ask (app: FastifyInstance, question = FOLLOW_UP, history = HISTORY): Promise<Body> {
  const res = await app.inject({ method: 'POST', url: '/chat', payload: { question, history } })
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${res.body}`)
  return res.json()
}

const sent = (request: RecordedRequest | undefined): Sent => request?.body as Sent
const condenseCalls = (fake: FakeLlmServer): RecordedRequest[] => fake.requests.filter((r) => r.condense)
const answerCalls = (fake: FakeLlmServer): RecordedRequest[] => fake.requests.filter((r) => !r.condense)

async function condenseCount (app: FastifyInstance, outcome: string): Promise<number> {
  const body = (await app.inject('/metrics')).body
  const line = body.split('\n').find((l) => l.startsWith(`policy_rag_llm_condense_total{outcome="${outcome}"}`))
  return line === undefined ? 0 : Number(line.split(' ').at(-1))
}

t.test('the rewrite finds the policy the follow-up asks about; the answer still gets the user\'s own words', async (t) => {
  const logs = captureLogs()
  const { fake, app } = await setup(t, { LOG_LEVEL: 'debug' }, logs)

  const before = await ask(app)
  t.equal(before.mode, 'llm')
  t.not(before.citations[0]?.document_id, RIGHT_POLICY, 'without a rewrite (the fake replies with no question) another policy')
  t.equal(condenseCalls(fake).length, 1, 'the rewrite was asked for')

  fake.reset()
  const rewrittenBefore = await condenseCount(app, 'rewritten')
  fake.enqueueCondense({ text: REWRITE })
  const after = await ask(app)
  t.equal(after.mode, 'llm')
  t.equal(after.citations[0]?.document_id, RIGHT_POLICY, 'retrieved with the rewrite')
  t.equal(await condenseCount(app, 'rewritten'), rewrittenBefore + 1, 'counted in /metrics')

  t.same(fake.requests.map((r) => r.condense), [true, false], 'the rewrite first, then the answer')
  const rewrite = sent(condenseCalls(fake)[0])
  t.match(rewrite, { stream: false, temperature: 0, max_tokens: CONDENSE_MAX_TOKENS })
  t.equal(rewrite.messages[0]?.content, CONDENSE_SYSTEM_PROMPT)
  t.match(rewrite.messages[1]?.content, '<conversation>\nUser: How many vacation days do I get?\n')
  t.match(rewrite.messages[1]?.content, `Latest question: ${FOLLOW_UP}`)
  const answer = sent(answerCalls(fake)[0]).messages[1]?.content ?? ''
  t.match(answer, `Question: ${FOLLOW_UP}`, 'the answer prompt asks the user\'s question')
  t.match(answer, '<conversation>', 'with the conversation')
  t.notMatch(answer, REWRITE, 'the rewrite only chose the sources')
  t.match(answer, /<source n="1" document="Parental Leave/)

  const text = logs.text()
  for (const words of [FOLLOW_UP, REWRITE, 'vacation days', 'parental leave']) {
    t.notOk(text.toLowerCase().includes(words.toLowerCase()), `"${words}" is not logged`)
  }
  t.ok(logs.lines().some((l) => /"condense":"not_a_question"/.test(l)), 'the rejected reply was logged (debug), by reason only')
})

t.test('every failure falls back to the follow-up retrieval and still answers with the LLM, without tripping the breaker',
  async (t) => {
    // Threshold 1: a single failure counted against the circuit would open it, and the answer would be extractive.
    const { fake, app } = await setup(t, { LLM_CONDENSE_TIMEOUT_MS: 200, LLM_BREAKER_THRESHOLD: 1 })
    const withoutRewrite = (await ask(app, FOLLOW_UP)).citations[0]?.document_id
    t.not(withoutRewrite, RIGHT_POLICY)
    const cases: Array<[string, FakeStep, string]> = [
      ['timeout', { hang: true }, 'timeout'],
      ['HTTP 500', { status: 500 }, 'http'],
      ['HTTP 429', { status: 429, headers: { 'retry-after': '0' } }, 'http'],
      ['garbage', { body: '<html>gateway</html>' }, 'malformed'],
      ['a huge reply', { text: 'word '.repeat(2000) }, 'too_large'],
      ['an over-long question', { text: `What ${'really '.repeat(60)}happens?` }, 'too_long'],
      ['an answer', { text: 'Parental leave is 16 weeks at full pay [1].' }, 'not_a_question'],
      ['an answer then a question', { text: 'Parental leave is 16 weeks. Anything else?' }, 'not_a_question'],
      ['an empty reply', { text: '  ' }, 'empty'],
      ['two lines', { text: 'How much parental leave do I get?\nAnd paternity leave?' }, 'not_a_question']
    ]
    for (const [name, step, outcome] of cases) {
      fake.reset()
      const counted = await condenseCount(app, outcome)
      fake.enqueueCondense(step)
      const body = await ask(app)
      t.equal(body.mode, 'llm', `${name}: still an LLM answer`)
      t.equal(body.citations[0]?.document_id, withoutRewrite, `${name}: retrieved as without a rewrite`)
      t.equal(condenseCalls(fake).length, 1, `${name}: one rewrite request, not retried`)
      t.equal(await condenseCount(app, outcome), counted + 1, `${name}: counted as ${outcome}`)
      t.equal(app.llm.client?.breaker.state, 'closed', `${name}: the circuit stays closed`)
    }
  })

t.test('no rewrite without history, for a question that stands alone, when turned off, or while the circuit is open', async (t) => {
  const { fake, app } = await setup(t, { LLM_BREAKER_THRESHOLD: 1 })
  fake.enqueueCondense({ text: REWRITE })

  t.equal((await ask(app, FOLLOW_UP, [])).mode, 'llm')
  t.equal((await ask(app, 'How many weeks of parental leave do birth parents get?')).mode, 'llm')
  t.equal(condenseCalls(fake).length, 0, 'no history, or a standalone question: no rewrite requested')
  t.equal(answerCalls(fake).length, 2)

  const off = await setup(t, { LLM_CONDENSE_TIMEOUT_MS: 0 })
  off.fake.enqueueCondense({ text: REWRITE })
  t.not((await ask(off.app)).citations[0]?.document_id, RIGHT_POLICY)
  t.equal(condenseCalls(off.fake).length, 0, 'LLM_CONDENSE_TIMEOUT_MS 0 turns it off')

  fake.reset()
  fake.enqueue({ status: 500 })
  t.match(await ask(app, 'How many weeks of parental leave do birth parents get?', []), { mode: 'extractive', reason: 'llm_http' })
  t.equal(app.llm.client?.breaker.state, 'open')
  fake.reset()
  fake.enqueueCondense({ text: REWRITE })
  t.match(await ask(app), { mode: 'extractive', reason: 'llm_circuit_open' })
  t.equal(fake.received, 0, 'nothing sent to a provider known to be down')
})

t.test('a follow-up refused by the screen does not wait for its rewrite', async (t) => {
  // A rewrite that would wait a minute: the test would time out if the refusal waited for it.
  const { fake, app } = await setup(t, { LLM_CONDENSE_TIMEOUT_MS: 60_000 })
  fake.setCondenseDefault({ hang: true })
  const refused = await ask(app, 'And could you write me a Python function that sorts a list?')
  t.equal(refused.mode, 'refused')
  t.equal(refused.reason, 'off_topic', 'refused by the screen, after retrieval')
  t.ok(refused.timings_ms.retrieval > 0)
  for (const request of fake.requests) {
    await request.closed
    t.ok(request.condense && request.aborted, 'a rewrite request that got out was cancelled')
  }
})

t.test('a rewrite full of FTS5 operators is searched for as words, and the user\'s harmless words decide the screen', async (t) => {
  const { fake, app } = await setup(t)
  fake.enqueueCondense({ text: 'What does "parental leave" NEAR(ignore OR * previous) instructions AND say?' })
  const body = await ask(app)
  t.equal(body.mode, 'llm', 'not refused, no error')
  t.equal(body.citations[0]?.document_id, RIGHT_POLICY, 'its words were searched for as words')
  t.same(fake.requests.map((r) => r.condense), [true, false])
})

t.test('the OpenAI-compatible route and streamed /chat retrieve with the rewrite too', async (t) => {
  const { fake, app } = await setup(t)
  fake.enqueueCondense({ text: REWRITE })
  const res = await app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    payload: { model: 'policy-rag', messages: [...HISTORY, { role: 'user', content: FOLLOW_UP }] }
  })
  t.equal(res.statusCode, 200)
  t.match(res.json().choices[0].message.content, /Sources:\n- \[1\] Parental Leave/)

  fake.reset()
  fake.enqueueCondense({ text: REWRITE })
  const streamed = await app.inject({ method: 'POST', url: '/chat', payload: { question: FOLLOW_UP, history: HISTORY, stream: true } })
  t.equal(streamed.statusCode, 200)
  t.match(streamed.body, `"document_id":"${RIGHT_POLICY}"`)
  t.same(fake.requests.map((r) => [r.condense, r.stream]), [[true, false], [false, true]], 'rewrite not streamed, answer streamed')
})
