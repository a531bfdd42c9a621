/**
 * With an LLM, a follow-up that leans on the conversation is rewritten as a standalone question before retrieval
 * ("and for part-timers?" → "How many vacation days do part-time employees get?"). One short non-streaming call
 * under its own time limit, made only while the circuit breaker is closed and never counted by it (LlmRequest's
 * `breaker: 'observe'`): the answer that follows decides the provider's health. Any failure, and any reply that is
 * not one short question, falls back to the follow-up retrieval used without an LLM (follow-up.ts).
 */
import { isLlmError, type LlmErrorKind } from '../llm/errors.js'
import type { ChatMessage, LlmRequest } from '../llm/client.js'
import type { UntrustedTurn } from '../../schemas/chat.js'
import { CONDENSE_MAX_TOKENS, condenseMessages, standaloneQuestion, type CondenseRejection } from './condense-prompt.js'

const BACKSTOP_MS = 250

export type CompletionOptions = Pick<LlmRequest, 'maxTokens' | 'temperature' | 'timeoutMs' | 'maxRetries' | 'breaker'>

export interface CondensePort {
  complete(messages: ChatMessage[], signal: AbortSignal, options?: CompletionOptions): Promise<{ text: string }>
}

/** The rewrite to retrieve with, or why there is none (an LlmError's kind, the reply's rejection, or `error`). */
export type CondenseOutcome =
  | { rewritten: string }
  | { fallback: LlmErrorKind | CondenseRejection | 'error', error?: unknown }

export async function condenseFollowUp (
  llm: CondensePort,
  input: { question: string, history: readonly UntrustedTurn[] },
  limits: { timeoutMs: number, signal: AbortSignal }
): Promise<CondenseOutcome> {
  let text: string
  // The client keeps the deadline itself; this backstop holds it for any port.
  const backstop = AbortSignal.timeout(limits.timeoutMs + BACKSTOP_MS)
  try {
    ({ text } = await llm.complete(condenseMessages(input.question, input.history), AbortSignal.any([limits.signal, backstop]), {
      maxTokens: CONDENSE_MAX_TOKENS,
      temperature: 0,
      timeoutMs: limits.timeoutMs,
      maxRetries: 0,
      breaker: 'observe'
    }))
  } catch (error) {
    if (backstop.aborted && !limits.signal.aborted) return { fallback: 'timeout', error }
    return { fallback: isLlmError(error) ? error.kind : 'error', error }
  }
  const reply = standaloneQuestion(text)
  return 'question' in reply ? { rewritten: reply.question } : { fallback: reply.rejected }
}
