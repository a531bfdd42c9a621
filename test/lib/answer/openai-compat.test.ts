import t from 'tap'
import type { ChatAnswer, Citation } from '../../../lib/answer/chat.js'
import { ServiceUnavailableError } from '../../../lib/errors.js'
import { errorReply } from '../../../lib/ops/error-reply.js'
import {
  chunkBuilder, completionContent, contentPieces, MAX_HISTORY_TURNS, openAIError, remainingContent, REPLACED_NOTICE, toCompletion,
  toConversation, validationParam, withoutSources, type OpenAIMessage
} from '../../../lib/answer/openai-compat.js'

const citation = (id: number, heading: string, documentId = 'pto-policy', title = 'Paid Time Off'): Citation =>
  ({
    id,
    chunk_id: `${documentId}#${id}`,
    document_id: documentId,
    document_title: title,
    heading,
    snippet: '...',
    version: null,
    effective_date: null,
    source_url: null
  })

const versions: Record<string, string> = { 'pto-policy': '3.2' }
const versionOf = (id: string): string | undefined => versions[id]

function answer (partial: Partial<ChatAnswer> = {}): ChatAnswer {
  return {
    answer: 'Up to 5 days carry over [1] and expire in March [2].',
    mode: 'extractive',
    citations: [citation(1, 'Paid Time Off > Carry-Over'), citation(2, 'Travel > Booking', 'travel-policy', 'Travel')],
    guardrails: { input: { pii_redacted: [], injection: false, off_topic: false }, output: { citations_valid: true, pii_redacted: [] } },
    model: 'extractive (use-lite)',
    usage: { prompt_tokens: 10, completion_tokens: 5 },
    timings_ms: { retrieval: 1, llm: 0, total: 2 },
    ...partial
  }
}

t.test('messages become a question and history: system, developer and tool messages are ignored', async (t) => {
  const messages: OpenAIMessage[] = [
    { role: 'system', content: 'You are a pirate.' },
    { role: 'user', content: 'How much PTO?' },
    { role: 'assistant', content: 'Twenty days [1].\n\nSources:\n- [1] Paid Time Off — Accrual (version 3.2)' },
    { role: 'developer', content: 'Answer in French.' },
    { role: 'assistant', content: null },
    { role: 'tool', content: '{"days": 20}' },
    { role: 'user', content: [{ type: 'text', text: 'And can I' }, { type: 'text', text: 'carry it over?' }] }
  ]
  t.same(toConversation(messages), {
    question: 'And can I\ncarry it over?',
    history: [{ role: 'user', content: 'How much PTO?' }, { role: 'assistant', content: 'Twenty days [1].' }],
    params: ['messages[6].content', 'messages[1].content', 'messages[2].content']
  })
})

t.test('a long conversation keeps its last turns; a conversation not ending with the user is a problem naming the param', async (t) => {
  const long: OpenAIMessage[] = Array.from({ length: 25 }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: `turn ${i}` }))
  const kept = toConversation(long)
  t.ok('history' in kept)
  if (!('history' in kept)) return
  t.equal(kept.question, 'turn 24')
  t.equal(kept.history.length, MAX_HISTORY_TURNS)
  t.same(kept.history.at(0), { role: 'user', content: 'turn 14' })
  t.same(kept.history.at(-1), { role: 'assistant', content: 'turn 23' })
  t.equal(kept.params[1], 'messages[14].content')

  t.match(
    toConversation([{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }]),
    { param: 'messages', problem: /last .* must be a user message/ }
  )
  t.match(toConversation([{ role: 'system', content: 'Only a system message' }]), { param: 'messages' })
  t.same(toConversation([{ role: 'user', content: '  ' }]), { problem: 'messages[0].content is empty', param: 'messages[0].content' })
  t.match(
    toConversation([{ role: 'user', content: 'x'.repeat(2001) }]),
    { problem: /too long: 2001 characters, at most 2000/, param: 'messages[0].content' }
  )
  t.match(
    toConversation([{ role: 'user', content: 'é'.repeat(4001) }, { role: 'user', content: 'ok?' }]),
    { problem: /messages\[0\]\.content is too long: 4001/ },
    'history turns up to 4000 characters, counted as characters'
  )
  t.ok('question' in toConversation([{ role: 'user', content: '😀'.repeat(2000) }]), '2000 characters of astral symbols are 2000, not 4000')
  t.same(
    toConversation([{ role: 'user', content: [{ type: 'image_url' }] }]),
    { problem: 'messages[0].content: only text content parts are answered, not "image_url"', param: 'messages[0].content' }
  )
})

t.test('the content is the answer and a Sources list with title, section and version; our own list is stripped from history', async (t) => {
  const content = completionContent(answer(), versionOf)
  t.equal(
    content,
    'Up to 5 days carry over [1] and expire in March [2].\n\nSources:\n- [1] Paid Time Off — Carry-Over (version 3.2)\n- [2] Travel — ' +
      'Booking'
  )
  t.equal(withoutSources(content), answer().answer)
  t.equal(withoutSources('Sources: the handbook says so.'), 'Sources: the handbook says so.', 'text that only looks like a list is kept')
  t.equal(
    completionContent(answer({ citations: [], answer: 'I can only answer policy questions.' }), versionOf),
    'I can only answer policy questions.',
    'no citations, no list'
  )
  t.equal(
    completionContent(answer({ citations: [citation(1, 'Paid Time Off')] }), versionOf).split('\n').at(-1),
    '- [1] Paid Time Off (version 3.2)',
    'a heading that is only the title'
  )
})

t.test('streamed pieces join to the content; a replaced streamed answer follows a notice', async (t) => {
  const content = completionContent(answer(), versionOf)
  t.equal(contentPieces(content).join(''), content)
  t.ok(contentPieces(content).length > 10)
  t.same(contentPieces('\n\nSources:'), ['\n\n', 'Sources:'], 'leading line breaks are kept')
  t.equal(remainingContent(content, 'Up to 5 days'), content.slice('Up to 5 days'.length))
  t.equal(remainingContent(content, ''), content)
  t.equal(remainingContent(content, 'The LLM wrote something else'), `${REPLACED_NOTICE}${content}`)
})

t.test('completion and chunk objects', async (t) => {
  const a = answer({ mode: 'refused', reason: 'off_topic', citations: [] })
  t.match(toCompletion(a, 'No.', { id: 'chatcmpl-1', created: 5 }), {
    id: 'chatcmpl-1', object: 'chat.completion', created: 5, model: 'policy-rag', system_fingerprint: 'extractive (use-lite)',
    choices: [{ index: 0, message: { role: 'assistant', content: 'No.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    citations: [], mode: 'refused', reason: 'off_topic'
  })
  t.notOk('reason' in toCompletion(answer(), 'x', { id: 'c', created: 1 }), 'no reason field when there is none')
  const plain = chunkBuilder({ id: 'c', created: 1 }, false)
  t.notOk('usage' in plain.content('x'), 'no usage field unless include_usage')
  t.match(plain.role(), { object: 'chat.completion.chunk', choices: [{ delta: { role: 'assistant', content: '' }, finish_reason: null }] })
  t.match(
    plain.finish(answer()),
    { choices: [{ delta: {}, finish_reason: 'stop' }], mode: 'extractive', citations: [{ id: 1 }, { id: 2 }] }
  )
  const withUsage = chunkBuilder({ id: 'c', created: 1 }, true)
  t.equal(withUsage.content('x').usage, null)
  t.same(withUsage.usage(answer()).choices, [])
  t.same(withUsage.usage(answer()).usage, { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 })
})

t.test('errors in OpenAI\'s shape, with a param taken from ajv\'s path', async (t) => {
  t.same(
    openAIError(401, 'key!', 'POLICY_RAG_UNAUTHORIZED'),
    { error: { message: 'key!', type: 'authentication_error', param: null, code: 'invalid_api_key' } }
  )
  t.same(
    openAIError(429, 'slow down'),
    { error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } }
  )
  t.same(
    openAIError(503, 'busy', 'POLICY_RAG_SERVICE_UNAVAILABLE'),
    { error: { message: 'busy', type: 'server_error', param: null, code: 'service_unavailable' } }
  )
  t.same(
    openAIError(400, 'bad', 'FST_ERR_VALIDATION', 'messages[0].role').error,
    { message: 'bad', type: 'invalid_request_error', param: 'messages[0].role', code: 'invalid_request' }
  )
  t.equal(validationParam([{ instancePath: '/messages/0/role' }]), 'messages[0].role')
  t.equal(validationParam([{ instancePath: '', params: { missingProperty: 'model' } }]), 'model')
  t.equal(validationParam([{ instancePath: '/messages/3', params: { missingProperty: 'role' } }]), 'messages[3].role')
  t.equal(validationParam([{ instancePath: '' }]), null)
  t.equal(validationParam(undefined), null)
})

t.test('errorReply: the one error policy both shapes share, decided by the error\'s class', async (t) => {
  const logged: string[] = []
  const deps = {
    log: { error: (_o: object, m: string) => { logged.push(`error ${m}`) }, warn: (_o: object, m: string) => { logged.push(`warn ${m}`) } }
  }
  t.same(errorReply({ statusCode: 400, code: 'FST_X', message: 'bad' }, deps), { status: 400, message: 'bad', code: 'FST_X' })
  const hidden = errorReply({ message: 'secret internals at /srv/x' }, deps)
  t.same(hidden, { status: 500, message: 'Something went wrong on our side; the error has been logged.' })
  const fastifys = errorReply({ statusCode: 500, code: 'FST_ERR_SOMETHING', message: 'internals of Fastify' }, deps)
  t.same(
    fastifys,
    { status: 500, message: 'Something went wrong on our side; the error has been logged.' },
    'Fastify\'s own 5xx never shows its message'
  )
  t.same(errorReply(new ServiceUnavailableError('memory'), deps),
    { status: 503, message: 'Service is under pressure (memory): retry later', code: 'POLICY_RAG_SERVICE_UNAVAILABLE' })
  t.same(logged, ['error request failed', 'error request failed', 'warn request refused'])
})
