import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { chromium, type BrowserContext, type Page, type Route } from 'playwright-core'
import t, { type Test } from 'tap'
import { repoRoot } from '../../lib/paths.js'
import { build, captureLogs, sharedEmbedder } from '../helper.js'
import { withBrowser } from '../helpers/browser.js'
import { startFakeLlmServer } from '../../tools/lib/fake-llm-server.js'

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--no-first-run', '--disable-quic', '--disable-sync'
]
const ARTIFACTS = join(repoRoot, 'test', 'artifacts')
const ANSWER_TIMEOUT_MS = 60_000

const DONE = '.exchange:last-child .answer:not([data-state="streaming"])'

interface Opened { page: Page, problems: string[] }

/** A fresh tab that records script errors and CSP violations, closed after the test. */
async function openPage (t: Test, context: BrowserContext, url: string): Promise<Opened> {
  const page = await context.newPage()
  t.teardown(() => page.close())
  const problems: string[] = []
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  page.on('console', (msg) => {
    // A 4xx/5xx from /chat is logged by Chrome as a failed load; that is the page working, not failing.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console: ${msg.text()}`)
  })
  await page.goto(url)
  return { page, problems }
}

function sseBody (events: Array<[string, unknown]>, newline = '\n'): string {
  return events.map(([event, data]) => `event: ${event}${newline}data: ${JSON.stringify(data)}${newline}${newline}`).join('')
}

function fulfilSse (route: Route, body: string): Promise<void> {
  return route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }, body })
}

function doneEvent (answer: string, mode = 'extractive', citations: unknown[] = []): Record<string, unknown> {
  return {
    answer,
    mode,
    citations,
    guardrails: { input: { pii_redacted: [], injection: false, off_topic: false }, output: { citations_valid: true, pii_redacted: [] } },
    model: mode === 'llm' ? 'test/model-7b' : null,
    usage: { prompt_tokens: 0, completion_tokens: 0 },
    timings_ms: { retrieval: 1, llm: 0, total: 1 }
  }
}

async function ask (page: Page, question: string): Promise<void> {
  await page.locator('#question').fill(question)
  await page.getByRole('button', { name: 'Ask' }).click()
  await page.waitForSelector(DONE, { timeout: ANSWER_TIMEOUT_MS })
}

function listeningPort (app: FastifyInstance): number {
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('the app did not listen on a TCP port')
  return address.port
}

async function screenshot (page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true })
  const path = join(ARTIFACTS, name)
  await page.screenshot({ path, fullPage: true })
  return path
}

await withBrowser(t, {}, async (executablePath) => {
  const app = await build(t, {}, { embedder: sharedEmbedder() })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${listeningPort(app)}/`

  const profile = await mkdtemp(join(tmpdir(), 'policy-rag-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1024, height: 800 }
  })
  t.teardown(async () => {
    await context.close()
    await rm(profile, { recursive: true, force: true })
  })

  t.test('asks the real service with the keyboard alone and reads an extractive answer with its sources', async (t) => {
    const { page, problems } = await openPage(t, context, base)
    t.equal(await page.title(), 'Policy questions · policy-rag')

    await page.keyboard.press('Tab')
    t.equal(await page.evaluate(() => document.activeElement?.className), 'skip-link', 'the first Tab reaches the skip link')
    await page.keyboard.press('Enter')
    t.equal(await page.evaluate(() => document.activeElement?.id), 'question', 'the skip link lands in the question box')
    await page.keyboard.type('How many days of paid time off do I get each year?')
    await page.keyboard.press('Enter')
    await page.waitForSelector(DONE, { timeout: ANSWER_TIMEOUT_MS })

    const answer = page.locator('.answer').last()
    t.equal(await answer.getAttribute('data-state'), 'done')
    t.equal(await answer.getAttribute('data-mode'), 'extractive', 'no LLM configured: the service quotes the policies')
    t.equal(await answer.locator('.mode-badge').textContent(), 'Quoted from the policies')
    t.match(await answer.locator('.answer-note').first().textContent(), /No language model was used/)
    const text = (await answer.locator('.answer-text').textContent()) ?? ''
    t.ok(text.trim().length > 20, `the answer has text: ${text.slice(0, 120)}`)
    t.equal(await page.evaluate(() => document.activeElement?.id), 'question', 'focus stays in the question box')

    const summaries = answer.locator('.citation summary')
    const count = await summaries.count()
    t.ok(count >= 1, `${count} numbered sources are listed`)
    t.match(await summaries.first().textContent(), /^\[\d+\]/, 'sources are numbered')
    t.equal(await answer.locator('.citation details[open]').count(), 0, 'sources start closed')

    await page.keyboard.press('Shift+Tab')
    t.equal(await page.evaluate(() => document.activeElement?.tagName), 'SUMMARY', 'Shift+Tab from the box reaches the last source')
    await page.keyboard.press('Enter')
    const last = answer.locator('.citation details').last()
    t.equal(await last.getAttribute('open'), '', 'Enter expands the source')
    const passage = last.locator('.citation-passage')
    t.ok(await passage.isVisible(), 'the passage is shown')
    t.ok(((await passage.textContent()) ?? '').trim().length > 0, 'the passage has text')
    t.match(await last.locator('.citation-source').textContent(), /Document: .+\(.+\)\s*Section: .+/)

    const marker = answer.locator('a.cite-ref').first()
    if (await marker.count() > 0) {
      await marker.click()
      const target = ((await marker.getAttribute('href')) ?? '').slice(1)
      t.equal(await page.locator(`[id="${target}"] details`).getAttribute('open'), '', 'a [n] marker opens its source')
    }

    t.comment(`screenshot: ${await screenshot(page, 'chat-page.png')}`)
    await page.setViewportSize({ width: 390, height: 844 })
    t.ok(
      await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
      'no sideways scrolling on a phone-sized screen'
    )
    t.comment(`screenshot: ${await screenshot(page, 'chat-page-phone.png')}`)
    t.same(problems, [], 'no script errors or CSP violations')
  })

  t.test('an LLM answer from the real service appears as it is written, and Stop cancels the LLM request', async (t) => {
    const llm = await startFakeLlmServer({ default: { text: 'Employees may carry over up to 5 unused PTO days [1].', tokenDelayMs: 80 } })
    t.teardown(() => llm.close())
    const llmApp = await build(
      t,
      { OPENROUTER_API_KEY: 'test-key', LLM_BASE_URL: llm.url, LLM_MAX_RETRIES: 0 },
      { embedder: sharedEmbedder() }
    )
    await llmApp.listen({ port: 0, host: '127.0.0.1' })
    const { page, problems } = await openPage(t, context, `http://127.0.0.1:${listeningPort(llmApp)}/`)

    await page.locator('#question').fill('Can I carry unused PTO into next year?')
    await page.keyboard.press('Tab')
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => {
      const answer = document.querySelector('.answer')
      return answer?.getAttribute('data-state') === 'streaming' && (answer.querySelector('.answer-text')?.textContent ?? '').length > 0
    }, undefined, { timeout: ANSWER_TIMEOUT_MS })
    t.pass('text shows while the answer is still streaming')
    t.ok(await page.getByRole('button', { name: 'Stop' }).isVisible(), 'Stop is offered while streaming')
    t.ok(await page.getByRole('button', { name: 'Ask' }).isDisabled())

    await page.waitForSelector(DONE, { timeout: ANSWER_TIMEOUT_MS })
    const answer = page.locator('.answer').last()
    t.equal(await answer.getAttribute('data-mode'), 'llm')
    t.equal(await answer.locator('.mode-badge').textContent(), 'AI-written answer')
    t.match(await answer.locator('.answer-note').first().textContent(), /language model \(fake\/llm-1\)/)
    t.equal(await answer.locator('.answer-text').textContent(), 'Employees may carry over up to 5 unused PTO days [1].')
    t.equal(await answer.locator('a.cite-ref').count(), 1)
    t.ok(await page.getByRole('button', { name: 'Stop' }).isHidden())

    llm.enqueue({ text: 'Carry-over is limited. '.repeat(40), tokenDelayMs: 150 })
    await page.locator('#question').fill('And what happens to the rest?')
    await page.keyboard.press('Enter')
    // A follow-up: the service first asks the LLM to rewrite it for retrieval (request 1), then to answer (request 2).
    const request = await llm.waitForRequest(2)
    t.notOk(request.condense, 'the answer request')
    await page.waitForFunction(() => (document.querySelectorAll('.answer')[1]?.querySelector('.answer-text')?.textContent ?? '').length > 0)
    await page.getByRole('button', { name: 'Stop' }).click()
    await page.waitForSelector(DONE)
    const stopped = page.locator('.answer').last()
    t.equal(await stopped.getByRole('alert').textContent(), 'Stopped before the answer was finished.')
    t.match(await stopped.locator('.answer-text').textContent(), /^Carry-over.*\(incomplete\)$/s)
    const closed = await Promise.race([request.closed.then(() => true), delay(5000, false, { ref: false })])
    t.ok(closed && request.aborted, 'closing the stream cancelled the LLM request within 5 s')
    t.equal(await page.evaluate(() => document.activeElement?.id), 'question', 'focus returns to the question box')
    t.same(problems, [])
  })

  t.test('with API keys the page asks for a key after the 401, keeps it for the tab and sends it as a bearer token', async (t) => {
    const KEY = 'page-test-key-3f9c'
    const logs = captureLogs()
    const keyed = await build(
      t,
      { API_KEYS: KEY, LOG_LEVEL: 'debug' },
      { logger: true, logStream: logs.stream, embedder: sharedEmbedder() }
    )
    await keyed.listen({ port: 0, host: '127.0.0.1' })
    const { page, problems } = await openPage(t, context, `http://127.0.0.1:${listeningPort(keyed)}/`)
    const sent: Array<string | undefined> = []
    page.on('request', (request) => { if (request.url().endsWith('/chat')) sent.push(request.headers().authorization) })
    t.ok(await page.locator('#key-field').isHidden(), 'no key field until the service asks for one')

    const question = 'How many days of paid time off do I get each year?'
    await ask(page, question)
    t.equal(
      await page.locator('.answer').last().getByRole('alert').textContent(),
      'This service needs an API key. Enter it in the API key box and ask again.'
    )
    t.ok(await page.locator('#key-field').isVisible(), 'the 401 brings up the key field')
    t.equal(await page.evaluate(() => document.activeElement?.id), 'api-key', 'with the focus in it')
    t.equal(await page.locator('#api-key').getAttribute('type'), 'password')
    t.equal(await page.locator('#question').inputValue(), question, 'the question waits in its box')

    await page.locator('#api-key').fill('not-the-key')
    await ask(page, question)
    t.equal(
      await page.locator('.answer').last().getByRole('alert').textContent(),
      'The service did not accept this API key. Check it and ask again.'
    )

    await page.locator('#api-key').fill(KEY)
    await ask(page, question)
    const answer = page.locator('.answer').last()
    t.equal(await answer.getAttribute('data-state'), 'done')
    t.equal(await answer.getAttribute('data-mode'), 'extractive')
    t.same(sent, [undefined, 'Bearer not-the-key', `Bearer ${KEY}`], 'sent as Authorization: Bearer, once typed in')
    t.equal(await page.evaluate(() => sessionStorage.getItem('policy-rag.api-key')), KEY, 'kept in sessionStorage')
    t.equal(await page.evaluate(() => localStorage.length), 0, 'not in localStorage')

    await page.reload()
    t.ok(await page.locator('#key-field').isVisible(), 'after a reload the field is back')
    t.equal(await page.locator('#api-key').inputValue(), KEY, 'with the key of this tab')
    t.notOk(logs.text().includes(KEY), 'the key never reaches the service log')
    t.same(problems, [])
  })

  t.test('markup in an answer or a passage is shown as text, never run', async (t) => {
    const { page, problems } = await openPage(t, context, base)
    const script = '<script>window.__pwned = "answer"</script>'
    const image = '<img src="x" onerror="window.__pwned = \'image\'">'
    const citation = {
      id: 1,
      chunk_id: 'evil#1',
      document_id: 'evil-doc',
      document_title: '<b>Bold</b> title',
      heading: '<i>Heading</i>',
      snippet: '<script>window.__pwned = "snippet"</script> and <a href="javascript:window.__pwned=1">a link</a>',
      version: '3.2<b>',
      effective_date: '2026-01-01',
      source_url: 'javascript:window.__pwned=2'
    }
    const answerText = `Per the policy: ${script} ${image} [1]`
    // CRLF line ends, a comment line and a payload split over two data: lines, as SSE allows.
    const done = JSON.stringify(doneEvent(answerText, 'llm', [citation]))
    const cut = done.indexOf(',"mode"') + 1
    const body = ': warming up\r\n\r\n' +
      sseBody([['token', { text: 'Per the policy: ' }], ['token', { text: script }], ['token', { text: ` ${image} [1]` }]], '\r\n') +
      `event: done\r\ndata: ${done.slice(0, cut)}\r\ndata: ${done.slice(cut)}\r\n\r\n`
    await page.route('**/chat', (route) => fulfilSse(route, body))

    await ask(page, 'What does the policy say?')
    const answer = page.locator('.answer').last()
    t.equal(await answer.getAttribute('data-state'), 'done')
    t.equal(await answer.locator('.answer-text').textContent(), answerText, 'the markup is there, as text')
    t.equal(await answer.locator('.mode-badge').textContent(), 'AI-written answer')
    t.match(await answer.locator('.answer-note').first().textContent(), /language model \(test\/model-7b\)/)

    await answer.locator('a.cite-ref').click()
    const details = answer.locator('.citation details')
    t.equal(await details.getAttribute('open'), '', 'the [1] marker opens the source')
    t.equal(await details.locator('.citation-passage').textContent(), citation.snippet)
    t.match(await details.locator('summary').textContent(), '<b>Bold</b> title<i>Heading</i>')
    t.match(await details.locator('.citation-edition').textContent(), /^Version 3\.2<b>, effective .*2026$/, 'the edition quoted')
    t.equal(await details.locator('a.citation-link').count(), 0, 'a source_url that is not http(s) is not linked')

    t.equal(
      await page.locator('#conversation script, #conversation img, #conversation b, #conversation i').count(),
      0,
      'no element was made from data'
    )
    t.equal(await page.locator('#conversation a[href^="javascript"]').count(), 0)
    t.equal(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined, 'nothing ran')
    await screenshot(page, 'chat-page-markup.png')
    t.same(problems, [])
  })

  t.test('a fallback and a refusal say what happened', async (t) => {
    const { page, problems } = await openPage(t, context, base)
    const fallback = {
      ...doneEvent(
        'Up to 5 days carry over [1].',
        'extractive',
        [
          {
            id: 1,
            chunk_id: 'pto-policy#4',
            document_id: 'pto-policy',
            document_title: 'Paid Time Off',
            heading: 'Carry-over',
            snippet: 'Up to 5 days carry over.'
          }
        ]
      ),
      reason: 'llm_timeout'
    }
    const refusal = { ...doneEvent('I can only answer questions about company policies.', 'refused'), reason: 'off_topic' }
    const replies = [fallback, refusal]
    await page.route('**/chat', (route) => fulfilSse(route, sseBody([['done', replies.shift()]])))

    await ask(page, 'Can I carry PTO over?')
    let answer = page.locator('.answer').last()
    t.equal(await answer.locator('.mode-badge').textContent(), 'Quoted from the policies')
    t.equal(await answer.locator('.answer-note').textContent(),
      'No language model was used (llm timeout): these sentences are quoted directly from the passages below.')

    await ask(page, 'Best pizza in town?')
    answer = page.locator('.answer').last()
    t.equal(await answer.getAttribute('data-mode'), 'refused')
    t.equal(await answer.locator('.mode-badge').textContent(), 'Not answered')
    t.equal(await answer.locator('.answer-text').textContent(), 'I can only answer questions about company policies.')
    t.equal(await answer.locator('.answer-note').textContent(), 'The question does not seem to be about company policies.')
    t.equal(await answer.locator('.citations').count(), 0, 'no empty Sources list')
    t.same(problems, [])
  })

  t.test('a 503 is shown as a readable message and the question is kept for a retry', async (t) => {
    const { page, problems } = await openPage(t, context, base)
    await page.route('**/chat', (route) => route.fulfill({
      status: 503,
      headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': '10' },
      body: JSON.stringify({ statusCode: 503, error: 'Service Unavailable', message: 'Under memory pressure: shedding load' })
    }))

    await ask(page, 'Can I work from abroad?')
    const alert = page.locator('.answer').last().getByRole('alert')
    t.equal(await alert.textContent(),
      'The service is busy or temporarily unavailable. Please try again in about 10 seconds (Under memory pressure: shedding load).')
    t.equal(await page.locator('.answer').last().locator('.mode-badge').textContent(), 'No answer')
    t.equal(await page.locator('#question').inputValue(), 'Can I work from abroad?', 'the question is back in the box')
    t.equal(await page.locator('#status').textContent(), 'Not answered. Your question is back in the box to try again.')
    t.ok(await page.getByRole('button', { name: 'Ask' }).isEnabled(), 'the page is ready for another try')
    await screenshot(page, 'chat-page-503.png')
    t.same(problems, [])
  })

  t.test('a 429 and an error midway through the stream are explained too', async (t) => {
    const { page, problems } = await openPage(t, context, base)
    const replies: Array<(route: Route) => Promise<void>> = [
      (route) => route.fulfill({
        status: 429,
        headers: { 'content-type': 'application/json', 'retry-after': '30' },
        body: JSON.stringify({ statusCode: 429, error: 'Too Many Requests', message: 'Rate limit exceeded, retry in 30 seconds' })
      }),
      (route) => fulfilSse(
        route,
        sseBody([['token', { text: 'Employees may carry over' }], ['error', { message: 'The language model stopped responding' }]])
      ),
      (route) => fulfilSse(route, sseBody([['token', { text: 'Half an answer' }]]))
    ]
    await page.route('**/chat', (route) => (replies.shift() ?? ((r: Route) => r.abort()))(route))

    await ask(page, 'First question')
    t.match(
      await page.locator('.answer').last().getByRole('alert').textContent(),
      /^Too many questions at once\. Please wait about 30 seconds and try again/
    )

    await ask(page, 'Second question')
    let answer = page.locator('.answer').last()
    t.match(
      await answer.locator('.answer-text').textContent(),
      /^Employees may carry over \(incomplete\)$/,
      'the partial answer stays, marked'
    )
    t.equal(await answer.getByRole('alert').textContent(), 'The answer failed midway: The language model stopped responding')

    await ask(page, 'Third question')
    answer = page.locator('.answer').last()
    t.match(await answer.getByRole('alert').textContent(), /connection closed before the answer was finished/)

    await ask(page, 'Fourth question')
    t.match(await page.locator('.answer').last().getByRole('alert').textContent(), /Could not reach the service/)
    t.same(problems, [])
  })

  t.test('the conversation is kept in the page and sent as history; New conversation clears it', async (t) => {
    const { page, problems } = await openPage(t, context, base)
    const sent: Array<{ body: Record<string, unknown>, accept: string | undefined }> = []
    await page.route('**/chat', async (route) => {
      const request = route.request()
      sent.push({ body: request.postDataJSON() as Record<string, unknown>, accept: request.headers().accept })
      await fulfilSse(route, sseBody([['token', { text: `Answer ${sent.length}` }], ['done', doneEvent(`Answer ${sent.length}`)]]))
    })

    await ask(page, 'Question one')
    await ask(page, 'Question two')
    t.same(sent[0], { body: { question: 'Question one', history: [], stream: true }, accept: 'text/event-stream' })
    t.same(sent[1]?.body, {
      question: 'Question two',
      history: [{ role: 'user', content: 'Question one' }, { role: 'assistant', content: 'Answer 1' }],
      stream: true
    })
    t.equal(await page.locator('.exchange').count(), 2)

    for (let i = 3; i <= 8; i++) await ask(page, `Question ${i}`)
    const history = sent[7]?.body.history
    t.ok(Array.isArray(history) && history.length === 10, 'history is capped at the 10 most recent messages')

    await page.getByRole('button', { name: 'New conversation' }).click()
    t.equal(await page.locator('.exchange').count(), 0)
    await ask(page, 'Fresh start')
    t.same(sent[8]?.body.history, [])
    t.same(problems, [])
  })
})
