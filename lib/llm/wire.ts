import { LlmError } from './errors.js'

/** Parsing of OpenAI-compatible chat/completions payloads (JSON and stream chunks). */

export interface LlmUsage {
  prompt_tokens: number
  completion_tokens: number
}

export interface ParsedCompletion {
  text: string
  model?: string
  usage?: LlmUsage
  finishReason?: string
}

export interface ParsedChunk {
  delta: string
  model?: string
  usage?: LlmUsage
  finishReason?: string
}

type Json = Record<string, unknown>

function isObject (value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function parseJson (text: string, what: string): Json {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new LlmError('malformed', `LLM returned invalid JSON in ${what}`)
  }
  if (!isObject(value)) throw new LlmError('malformed', `LLM returned a non-object ${what}`)
  return value
}

/** Error payloads some providers send with status 200 (OpenRouter, OpenAI, vLLM shapes). */
export function providerError (body: Json): { message: string, status?: number } | undefined {
  if (isObject(body.error)) {
    const code = body.error.code
    const status = typeof code === 'number' ? code : (typeof code === 'string' && /^\d{3}$/.test(code) ? Number(code) : undefined)
    return { message: stringOr(body.error.message, 'unknown provider error'), status }
  }
  if (typeof body.error === 'string') return { message: body.error }
  if (body.object === 'error') {
    return { message: stringOr(body.message, 'unknown provider error'), status: typeof body.code === 'number' ? body.code : undefined }
  }
  return undefined
}

export function parseCompletion (body: Json): ParsedCompletion {
  throwProviderError(body)
  const choice = firstChoice(body)
  const message = isObject(choice?.message) ? choice.message : undefined
  if (typeof message?.content !== 'string') {
    throw new LlmError('malformed', 'LLM response has no choices[0].message.content')
  }
  return {
    text: message.content,
    model: typeof body.model === 'string' ? body.model : undefined,
    usage: parseUsage(body.usage),
    finishReason: finishReason(choice)
  }
}

export function parseChunk (body: Json): ParsedChunk {
  throwProviderError(body)
  const usage = parseUsage(body.usage)
  if (!Array.isArray(body.choices) && usage === undefined) {
    throw new LlmError('malformed', 'LLM stream chunk has neither choices nor usage')
  }
  const choice = firstChoice(body)
  const delta = isObject(choice?.delta) ? choice.delta : undefined
  return {
    delta: typeof delta?.content === 'string' ? delta.content : '',
    model: typeof body.model === 'string' ? body.model : undefined,
    usage,
    finishReason: finishReason(choice)
  }
}

export function parseUsage (value: unknown): LlmUsage | undefined {
  if (!isObject(value)) return undefined
  const prompt = value.prompt_tokens
  const completion = value.completion_tokens
  if (typeof prompt !== 'number' || typeof completion !== 'number') return undefined
  return { prompt_tokens: prompt, completion_tokens: completion }
}

/** The `message` of an error body, if it has one (for error messages). */
export function errorBodyMessage (text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text)
    return isObject(body) ? providerError(body)?.message : undefined
  } catch {
    return undefined
  }
}

function throwProviderError (body: Json): void {
  const error = providerError(body)
  if (error === undefined) return
  const status = error.status !== undefined && error.status >= 400 && error.status <= 599 ? error.status : 502
  throw new LlmError('http', `LLM provider error ${status}: ${truncate(error.message, 200)}`, { status })
}

function firstChoice (body: Json): Json | undefined {
  if (!Array.isArray(body.choices)) return undefined
  const choice: unknown = body.choices[0]
  return isObject(choice) ? choice : undefined
}

function finishReason (choice: Json | undefined): string | undefined {
  return typeof choice?.finish_reason === 'string' ? choice.finish_reason : undefined
}

function stringOr (value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback
}

export function truncate (text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}
