// The chat page: asks POST /chat with stream: true and renders the Server-Sent Events as they arrive.
// Everything from the server is rendered with textContent/createElement, never parsed as HTML.

const MAX_HISTORY_MESSAGES = 10
const MAX_HISTORY_CHARS = 2000
// sessionStorage: the key lasts as long as the tab, never reaches disk history or other tabs.
const KEY_STORAGE = 'policy-rag.api-key'

const MODE_LABELS = {
  llm: {
    badge: 'AI-written answer',
    note: (done) => `Written by a language model${done.model ? ` (${done.model})` : ''} from the passages below. Check the sources before relying on it.`
  },
  extractive: {
    badge: 'Quoted from the policies',
    note: (done) => `No language model was used${done.reason ? ` (${readable(done.reason)})` : ''}: these sentences are quoted directly from the passages below.`
  },
  refused: {
    badge: 'Not answered',
    note: (done) => lookup(REFUSAL_REASONS, done.reason) ?? `The service did not answer this question from the policies${done.reason ? ` (${readable(done.reason)})` : ''}.`
  }
}

const REFUSAL_REASONS = {
  off_topic: 'The question does not seem to be about company policies.',
  injection: 'The question looked like an attempt to change how the assistant works, so it was not answered.',
  pii: 'The question contained personal data, so it was not answered.',
  no_relevant: 'No policy passage relevant to the question was found.'
}

/** table[key] for the table's own keys only, so a reply can never pick up Object.prototype members. */
function lookup (table, key) {
  return typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined
}

function readable (reason) {
  return String(reason).replace(/_/g, ' ')
}

const form = document.getElementById('ask-form')
const questionBox = document.getElementById('question')
const sendButton = document.getElementById('send-button')
const stopButton = document.getElementById('stop-button')
const resetButton = document.getElementById('reset-button')
const conversation = document.getElementById('conversation')
const statusLine = document.getElementById('status')
const keyField = document.getElementById('key-field')
const keyBox = document.getElementById('api-key')

const storedKey = readStoredKey()
if (storedKey !== '') {
  keyBox.value = storedKey
  keyField.hidden = false
}

/** Completed exchanges only, oldest first, as sent in `history`. */
let history = []
let exchangeCount = 0
let inFlight = null

form.addEventListener('submit', (event) => {
  event.preventDefault()
  const question = questionBox.value.trim()
  if (question === '') {
    setStatus('Type a question first.')
    questionBox.focus()
    return
  }
  if (!keyField.hidden && keyBox.value.trim() === '') {
    setStatus('Enter the API key first.')
    keyBox.focus()
    return
  }
  if (inFlight === null) ask(question)
  else setStatus('Wait for the current answer to finish, or press Stop.')
})

questionBox.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault()
    form.requestSubmit()
  }
})

stopButton.addEventListener('click', () => inFlight?.abort())

resetButton.addEventListener('click', () => {
  inFlight?.abort()
  history = []
  conversation.replaceChildren()
  setStatus('Started a new conversation.')
  questionBox.focus()
})

// The skip link's target is a textarea: move focus there explicitly so typing can start at once.
document.querySelector('.skip-link').addEventListener('click', (event) => {
  event.preventDefault()
  questionBox.focus()
})

async function ask (question) {
  const view = addExchange(question)
  const controller = new AbortController()
  inFlight = controller
  setBusy(true)
  questionBox.value = ''
  setStatus('Writing the answer…')
  const body = { question, history: history.slice(-MAX_HISTORY_MESSAGES), stream: true }
  try {
    const done = await postChat(body, controller.signal, (text) => view.appendToken(text))
    view.finish(done)
    remember(question, done.answer)
    setStatus(`Answer ready: ${lookup(MODE_LABELS, done.mode)?.badge ?? done.mode}, ${countSources(done.citations)}.`)
  } catch (err) {
    const message = controller.signal.aborted ? 'Stopped before the answer was finished.' : describeError(err)
    view.fail(message)
    if (err instanceof KeyNeededError) askForKey()
    // A reset removed this exchange: nothing left to report or restore.
    if (view.item.isConnected) {
      const restore = questionBox.value === ''
      if (restore) questionBox.value = question
      // The alert in the answer already reads out the reason; the status line only says what is next.
      setStatus(restore ? 'Not answered. Your question is back in the box to try again.' : 'Not answered.')
    }
  } finally {
    inFlight = null
    setBusy(false)
    // Disabling Ask or hiding Stop drops the focus: give it back to the question box, and only then.
    if ([document.body, sendButton, stopButton, null].includes(document.activeElement)) (keyNeeded() ? keyBox : questionBox).focus()
  }
}

/** POSTs the question and resolves with the `done` payload; calls onToken for each streamed piece. */
async function postChat (body, signal, onToken) {
  let response
  try {
    response = await fetch('/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...authorization() },
      body: JSON.stringify(body),
      signal
    })
  } catch (err) {
    if (signal.aborted) throw err
    throw new ChatError('Could not reach the service. Check your connection and try again.')
  }
  if (!response.ok) throw await httpError(response)
  const type = response.headers.get('content-type') ?? ''
  if (type.includes('application/json')) return checkDone(await response.json())
  if (!type.includes('text/event-stream') || response.body === null) {
    throw new ChatError(`The service sent an unexpected reply (${type || 'no content type'}).`)
  }
  return readEvents(response.body, onToken)
}

async function readEvents (stream, onToken) {
  let done = null
  let failure = null
  const parser = createSseParser((type, data) => {
    if (done !== null || failure !== null) return
    if (type === 'token') onToken(parseJson(data).text ?? '')
    else if (type === 'done') done = checkDone(parseJson(data))
    else if (type === 'error') failure = new ChatError(`The answer failed midway: ${parseJson(data).message ?? 'unknown error'}`)
  })
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader()
  try {
    while (done === null && failure === null) {
      const { value, done: ended } = await reader.read()
      if (ended) break
      parser.push(value)
    }
  } finally {
    reader.cancel().catch(() => {})
  }
  if (failure !== null) throw failure
  if (done === null) throw new ChatError('The connection closed before the answer was finished. Please try again.')
  return done
}

/**
 * An incremental Server-Sent Events parser (WHATWG rules): lines end in LF, CRLF or CR; a blank
 * line dispatches; `data:` lines join with LF; lines starting with ':' are comments.
 */
function createSseParser (onEvent) {
  let buffer = ''
  let eventType = ''
  let dataLines = []

  function dispatch () {
    if (dataLines.length > 0) onEvent(eventType || 'message', dataLines.join('\n'))
    eventType = ''
    dataLines = []
  }

  function handleLine (line) {
    if (line === '') return dispatch()
    if (line.startsWith(':')) return
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') eventType = value
    else if (field === 'data') dataLines.push(value)
  }

  return {
    push (chunk) {
      buffer += chunk
      for (;;) {
        const match = /\r\n|\r|\n/.exec(buffer)
        if (match === null) return
        // A CR at the very end may be the first half of a CRLF split across chunks.
        if (match[0] === '\r' && match.index === buffer.length - 1) return
        handleLine(buffer.slice(0, match.index))
        buffer = buffer.slice(match.index + match[0].length)
      }
    }
  }
}

function checkDone (payload) {
  if (payload === null || typeof payload !== 'object' || typeof payload.answer !== 'string') {
    throw new ChatError('The service sent an answer this page cannot read.')
  }
  return payload
}

function parseJson (text) {
  try {
    const value = JSON.parse(text)
    return value !== null && typeof value === 'object' ? value : {}
  } catch {
    throw new ChatError('The service sent a malformed event.')
  }
}

class ChatError extends Error {}
class KeyNeededError extends ChatError {}

/** The Authorization header for the key typed in (and remembered for this tab), if any. */
function authorization () {
  const key = keyField.hidden ? '' : keyBox.value.trim()
  storeKey(key)
  return key === '' ? {} : { authorization: `Bearer ${key}` }
}

function askForKey () {
  keyField.hidden = false
  keyBox.select()
}

function keyNeeded () {
  return !keyField.hidden && keyBox.value.trim() === ''
}

function readStoredKey () {
  try {
    return sessionStorage.getItem(KEY_STORAGE) ?? ''
  } catch {
    return '' // Storage disabled: the key has to be typed in again after a reload.
  }
}

function storeKey (key) {
  try {
    if (key === '') sessionStorage.removeItem(KEY_STORAGE)
    else sessionStorage.setItem(KEY_STORAGE, key)
  } catch {
    // Storage disabled: the key still works for this page.
  }
}

async function httpError (response) {
  let message = ''
  try {
    const body = await response.json()
    if (typeof body?.message === 'string') message = body.message
  } catch {
    // Not JSON (a proxy's error page, say): the status alone will have to do.
  }
  const wait = retryAfterText(response.headers.get('retry-after'))
  const detail = message ? ` (${message})` : ''
  if (response.status === 429) return new ChatError(`Too many questions at once. Please wait ${wait || 'a moment'} and try again${detail}.`)
  if (response.status === 503) return new ChatError(`The service is busy or temporarily unavailable. Please try again ${wait ? `in ${wait}` : 'shortly'}${detail}.`)
  if (response.status === 400) return new ChatError(`The question could not be sent: ${message || 'the request was rejected'}.`)
  if (response.status === 401) {
    const known = !keyField.hidden && keyBox.value.trim() !== ''
    return new KeyNeededError(known ? 'The service did not accept this API key. Check it and ask again.' : 'This service needs an API key. Enter it in the API key box and ask again.')
  }
  if (response.status === 403) return new ChatError(`The service refused the request: ${message || 'not authorised'}.`)
  return new ChatError(`Something went wrong on the server (HTTP ${response.status})${detail}.`)
}

function retryAfterText (header) {
  const seconds = Number(header)
  if (!header || !Number.isFinite(seconds) || seconds <= 0) return ''
  const whole = Math.ceil(seconds)
  return `about ${whole} second${whole === 1 ? '' : 's'}`
}

function describeError (err) {
  if (err instanceof ChatError) return err.message
  return 'Something went wrong while reading the answer. Please try again.'
}

function remember (question, answer) {
  if (question === '' || answer === '') return
  history.push({ role: 'user', content: question.slice(0, MAX_HISTORY_CHARS) })
  history.push({ role: 'assistant', content: answer.slice(0, MAX_HISTORY_CHARS) })
  history = history.slice(-MAX_HISTORY_MESSAGES)
}

function setBusy (busy) {
  sendButton.disabled = busy
  stopButton.hidden = !busy
}

function setStatus (text) {
  statusLine.textContent = text
}

function countSources (citations) {
  const n = Array.isArray(citations) ? citations.length : 0
  return n === 1 ? '1 source' : `${n} sources`
}

// ---- rendering -------------------------------------------------------------------------------

function el (tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

/** Adds one question/answer pair to the conversation and returns the handles to fill it in. */
function addExchange (question) {
  const id = ++exchangeCount
  const item = el('li', 'exchange')
  const asked = el('div', 'question')
  asked.append(el('span', 'visually-hidden', 'You asked: '), el('p', 'question-text', question))

  const answer = el('article', 'answer')
  answer.dataset.state = 'streaming'
  answer.setAttribute('aria-busy', 'true')
  answer.setAttribute('aria-label', `Answer ${id}`)
  const header = el('header', 'answer-header')
  const badge = el('span', 'mode-badge mode-pending', 'Answering…')
  header.append(badge)
  const text = el('div', 'answer-text')
  const streamed = document.createTextNode('')
  text.append(streamed)
  answer.append(header, text)
  item.append(asked, answer)
  conversation.append(item)
  item.scrollIntoView({ block: 'nearest' })

  return {
    item,
    appendToken (piece) {
      streamed.appendData(piece)
    },
    finish (done) {
      const mode = lookup(MODE_LABELS, done.mode)
      badge.className = `mode-badge mode-${mode ? done.mode : 'other'}`
      badge.textContent = mode?.badge ?? `Mode: ${String(done.mode)}`
      answer.dataset.mode = String(done.mode)
      const citations = Array.isArray(done.citations) ? [...done.citations].sort((a, b) => Number(a.id) - Number(b.id)) : []
      text.replaceChildren(...renderAnswer(done.answer, citations, id))
      const notes = el('p', 'answer-note', mode ? mode.note(done) : 'The service used an answer mode this page does not know.')
      answer.append(notes, ...renderGuardrailNotes(done.guardrails))
      if (citations.length > 0) answer.append(renderCitations(citations, id))
      settle('done')
    },
    fail (message) {
      badge.className = 'mode-badge mode-error'
      badge.textContent = 'No answer'
      if (streamed.data !== '') text.append(el('span', 'incomplete', ' (incomplete)'))
      const alert = el('p', 'alert', message)
      alert.setAttribute('role', 'alert')
      answer.append(alert)
      settle('error')
    }
  }

  function settle (state) {
    answer.dataset.state = state
    answer.removeAttribute('aria-busy')
  }
}

/** The answer's paragraphs, with each [n] that matches a citation turned into a link to it. */
function renderAnswer (answer, citations, exchangeId) {
  const known = new Set(citations.map((c) => String(c.id)))
  return answer.split(/\n{2,}/).filter((p) => p.trim() !== '').map((paragraph) => {
    const p = el('p')
    for (const part of paragraph.split(/(\[\d+\])/)) {
      const n = /^\[(\d+)\]$/.exec(part)
      if (n && known.has(n[1])) p.append(citationLink(n[1], exchangeId))
      else if (part !== '') p.append(document.createTextNode(part))
    }
    return p
  })
}

function citationLink (n, exchangeId) {
  const link = el('a', 'cite-ref', `[${n}]`)
  link.href = `#${citationDomId(exchangeId, n)}`
  link.setAttribute('aria-label', `Source ${n}`)
  link.addEventListener('click', (event) => {
    event.preventDefault()
    const details = document.getElementById(citationDomId(exchangeId, n))?.querySelector('details')
    if (!details) return
    details.open = true
    const summary = details.querySelector('summary')
    summary.focus()
    summary.scrollIntoView({ block: 'nearest' })
  })
  return link
}

function citationDomId (exchangeId, n) {
  return `source-${exchangeId}-${n}`
}

function renderCitations (citations, exchangeId) {
  const section = el('section', 'citations')
  const heading = el('h2', 'citations-heading', 'Sources')
  const list = el('ol', 'citation-list')
  for (const citation of citations) {
    const item = el('li', 'citation')
    item.id = citationDomId(exchangeId, citation.id)
    const details = el('details')
    const summary = el('summary')
    summary.append(
      el('span', 'citation-number', `[${citation.id}]`),
      el('span', 'citation-title', String(citation.document_title ?? citation.document_id ?? 'Untitled')),
      el('span', 'citation-heading', String(citation.heading ?? ''))
    )
    const passage = el('blockquote', 'citation-passage', String(citation.snippet ?? ''))
    const source = el('p', 'citation-source')
    source.append(
      el('span', '', 'Document: '), el('strong', '', String(citation.document_title ?? '')),
      el('span', '', ` (${String(citation.document_id ?? '')})`),
      el('br'),
      el('span', '', 'Section: '), el('span', '', String(citation.heading ?? '')),
      ...renderEdition(citation)
    )
    details.append(summary, passage, source)
    item.append(details)
    list.append(item)
  }
  section.append(heading, list)
  return section
}

/** Which edition of the policy the passage quotes (version, effective date) and where it is published. */
function renderEdition (citation) {
  const parts = []
  if (citation.version) parts.push(`Version ${String(citation.version)}`)
  if (citation.effective_date) parts.push(`effective ${formatDate(String(citation.effective_date))}`)
  const nodes = parts.length > 0 ? [el('br'), el('span', 'citation-edition', parts.join(', '))] : []
  const url = typeof citation.source_url === 'string' && /^https?:\/\//.test(citation.source_url) ? citation.source_url : null
  if (url !== null) {
    const link = el('a', 'citation-link', 'Original policy')
    link.href = url
    link.rel = 'noopener noreferrer'
    link.target = '_blank'
    nodes.push(el('br'), link)
  }
  return nodes
}

function formatDate (iso) {
  const date = new Date(`${iso}T00:00:00Z`)
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleDateString(undefined, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
}

function renderGuardrailNotes (guardrails) {
  const notes = []
  const redacted = [...(guardrails?.input?.pii_redacted ?? []), ...(guardrails?.output?.pii_redacted ?? [])]
  if (redacted.length > 0) notes.push(el('p', 'answer-note', 'Some personal data was removed before answering.'))
  if (guardrails?.output?.citations_valid === false) notes.push(el('p', 'answer-note', 'Some citation markers in the answer could not be matched to a source.'))
  return notes
}
