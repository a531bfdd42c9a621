/**
 * OpenAI's chat-completions protocol over the service's own answers: a request's messages become
 * a question and history for lib/answer/chat's answerQuestion, and its ChatAnswer becomes a
 * `chat.completion` or a run of `chat.completion.chunk` objects. Pure; routes/openai.ts does the HTTP.
 */
import type { ChatAnswer, Citation } from './chat.js'
import type { LlmUsage } from '../llm/client.js'
import type { Turn } from '../../schemas/chat.js'

export const MODEL_ID = 'policy-rag'
/** The same bound as /chat's history; older turns of a long conversation are dropped, not refused. */
export const MAX_HISTORY_TURNS = 10
/** /chat's schema limits, which hold here whatever the guardrails level. */
export const MAX_QUESTION_CHARS = 2000
export const MAX_TURN_CHARS = 4000

export interface OpenAIMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function'
  content?: string | null | Array<{ type: string, text?: string | undefined }> | undefined
}

export interface Conversation {
  question: string
  history: Turn[]
  /** `messages[i].content` for the question (at [0]) and each history turn after it, for error messages. */
  params: string[]
}

export interface MessagesProblem { problem: string, param: string }

/**
 * The last user message is the question and earlier user and assistant messages the history.
 * System and developer messages are ignored, never obeyed: the service's own prompt and
 * guardrails decide how it answers, and a chat front end's system prompt (persona, format, its
 * own RAG template) would otherwise steer or smuggle instructions past the input checks.
 * Tool and function messages, and assistant turns without text (tool calls), are ignored too.
 */
export function toConversation (messages: readonly OpenAIMessage[]): Conversation | MessagesProblem {
  const turns: Array<Turn & { param: string }> = []
  for (const [i, message] of messages.entries()) {
    if (message.role !== 'user' && message.role !== 'assistant') continue
    const text = messageText(message.content)
    if (typeof text !== 'string') return { problem: `messages[${i}].content: ${text.problem}`, param: `messages[${i}].content` }
    const content = message.role === 'assistant' ? withoutSources(text) : text
    if (message.role === 'assistant' && content.trim() === '') continue
    turns.push({ role: message.role, content, param: `messages[${i}].content` })
  }
  const last = turns.at(-1)
  if (last === undefined || last.role !== 'user') {
    return { problem: 'the last user or assistant message must be a user message: it is the question answered', param: 'messages' }
  }
  const history = turns.slice(0, -1).slice(-MAX_HISTORY_TURNS)
  const problem = lengthProblem(last, MAX_QUESTION_CHARS) ??
    history.map((turn) => lengthProblem(turn, MAX_TURN_CHARS)).find((p) => p !== null) ?? null
  if (problem !== null) return problem
  return {
    question: last.content,
    history: history.map(({ role, content }) => ({ role, content })),
    params: [last.param, ...history.map((turn) => turn.param)]
  }
}

function lengthProblem (turn: { content: string, param: string }, max: number): MessagesProblem | null {
  const length = [...turn.content].length
  if (length > max) return { problem: `${turn.param} is too long: ${length} characters, at most ${max} allowed`, param: turn.param }
  if (turn.content.trim() === '') return { problem: `${turn.param} is empty`, param: turn.param }
  return null
}

function messageText (content: OpenAIMessage['content']): string | { problem: string } {
  if (content === undefined || content === null) return ''
  if (typeof content === 'string') return content
  const other = content.find((part) => part.type !== 'text')
  if (other !== undefined) return { problem: `only text content parts are answered, not "${other.type}"` }
  return content.map((part) => part.text ?? '').join('\n')
}

/** For the Sources list: each cited passage's document version, when the index knows it. */
export type VersionOf = (documentId: string) => string | undefined

const SOURCES_HEADING = '\n\nSources:\n'
const SOURCES_BLOCK = /\n\nSources:\n(?:- \[\d+\][^\n]*(?:\n|$))+$/

/** The message content: the answer with its [n] markers, then a short list of what each n is. */
export function completionContent (answer: Pick<ChatAnswer, 'answer' | 'citations'>, versionOf: VersionOf): string {
  return answer.answer + sourcesList(answer.citations, versionOf)
}

export function sourcesList (citations: readonly Citation[], versionOf: VersionOf): string {
  if (citations.length === 0) return ''
  return SOURCES_HEADING + citations.map((c) => `- [${c.id}] ${sourceLabel(c, versionOf(c.document_id))}`).join('\n')
}

/** "Paid Time Off — Accrual (version 3.2)": a heading's first level is the document title, so it is not repeated. */
function sourceLabel (citation: Citation, version: string | undefined): string {
  const levels = citation.heading.split(' > ')
  const section = (levels[0] === citation.document_title ? levels.slice(1) : levels).join(' > ')
  const title = section === '' ? citation.document_title : `${citation.document_title} — ${section}`
  return version === undefined ? title : `${title} (version ${version})`
}

/** A client sends our earlier answers back as history: the Sources list is for the reader, not for the next prompt. */
export function withoutSources (content: string): string {
  return content.replace(SOURCES_BLOCK, '')
}

/**
 * What to send after the tokens already streamed so the client ends with the final content. A
 * streamed LLM answer can still be replaced (it failed the citation or output checks and fell
 * back): OpenAI's protocol cannot take text back, so the replacement follows a visible notice.
 */
export function remainingContent (content: string, streamed: string): string {
  if (content.startsWith(streamed)) return content.slice(streamed.length)
  return `${REPLACED_NOTICE}${content}`
}

/** Word-sized deltas that keep every character (leading line breaks included), so the deltas join to the content. */
export function contentPieces (text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? []
}

export const REPLACED_NOTICE = '\n\n(The service\'s checks withdrew the answer above; here is the checked answer.)\n\n'

export interface CompletionMeta {
  id: string
  /** Unix seconds. */
  created: number
}

function usage (u: LlmUsage): { prompt_tokens: number, completion_tokens: number, total_tokens: number } {
  return { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens, total_tokens: u.prompt_tokens + u.completion_tokens }
}

/** The extra fields beside OpenAI's: structured citations, the answer's mode and, when there is one, its reason. */
function answerFields (answer: ChatAnswer): { citations: Citation[], mode: ChatAnswer['mode'], reason?: string } {
  return { citations: answer.citations, mode: answer.mode, ...(answer.reason === undefined ? {} : { reason: answer.reason }) }
}

export function toCompletion (answer: ChatAnswer, content: string, meta: CompletionMeta) {
  return {
    id: meta.id,
    object: 'chat.completion' as const,
    created: meta.created,
    model: MODEL_ID,
    system_fingerprint: answer.model,
    choices: [{
      index: 0,
      message: { role: 'assistant' as const, content, refusal: null },
      logprobs: null,
      finish_reason: 'stop' as const
    }],
    usage: usage(answer.usage),
    ...answerFields(answer)
  }
}

/** Builds the stream's chunks; with include_usage every chunk carries `usage: null` but the last, as OpenAI's do. */
export function chunkBuilder (meta: CompletionMeta, includeUsage: boolean) {
  const base = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    id: meta.id,
    object: 'chat.completion.chunk' as const,
    created: meta.created,
    model: MODEL_ID,
    choices,
    ...(includeUsage ? { usage: null } : {}),
    ...extra
  })
  const choice = (delta: Record<string, string>, finishReason: 'stop' | null = null) =>
    ({ index: 0, delta, logprobs: null, finish_reason: finishReason })
  return {
    role: () => base([choice({ role: 'assistant', content: '' })]),
    content: (text: string) => base([choice({ content: text })]),
    finish: (answer: ChatAnswer) => base([choice({}, 'stop')], { system_fingerprint: answer.model, ...answerFields(answer) }),
    usage: (answer: ChatAnswer) => base([], { usage: usage(answer.usage) })
  }
}

export interface OpenAIErrorBody {
  error: { message: string, type: string, param: string | null, code: string | null }
}

const ERROR_TYPES: Record<number, string> = {
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error'
}

/** Codes OpenAI's clients know, for the service's own error codes that mean the same. */
const KNOWN_CODES: Record<string, string> = {
  POLICY_RAG_UNAUTHORIZED: 'invalid_api_key',
  POLICY_RAG_MODEL_NOT_FOUND: 'model_not_found',
  FST_ERR_CTP_BODY_TOO_LARGE: 'request_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_VALIDATION: 'invalid_request'
}

/** OpenAI's error shape for a status and the service's own message and code (POLICY_RAG_SOME_THING becomes some_thing). */
export function openAIError (status: number, message: string, code?: string, param?: string | null): OpenAIErrorBody {
  const type = status >= 500 ? 'server_error' : ERROR_TYPES[status] ?? 'invalid_request_error'
  const openAICode = code === undefined
    ? (status === 429 ? 'rate_limit_exceeded' : null)
    : KNOWN_CODES[code] ?? code.replace(/^(POLICY_RAG_|FST_(ERR_)?)/, '').toLowerCase()
  return { error: { message, type, param: param ?? null, code: openAICode } }
}

/** `body/messages/0/role` style paths from ajv, as OpenAI's `param`: `messages[0].role`. */
export function validationParam (
  validation: ReadonlyArray<{ instancePath: string, params?: Record<string, unknown> }> | undefined
): string | null {
  const first = validation?.[0]
  if (first === undefined) return null
  const missing = first.params?.missingProperty
  const path = [...first.instancePath.split('/').filter(Boolean), ...(typeof missing === 'string' ? [missing] : [])]
  if (path.length === 0) return null
  return path.map((part, i) => /^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`).join('')
}
