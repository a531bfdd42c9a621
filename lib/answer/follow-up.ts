/**
 * Follow-up questions lean on the conversation: "and for part-timers?" after "How many vacation
 * days do I get?" has nothing to search for on its own. When a question is short, opens like a
 * continuation or points back with a pronoun, retrieval (and the extractive answerer's reading of
 * the question) also uses the previous user turn, and retrieval the start of the reply to it, which
 * often names what "it" is ("A performance improvement plan may be used" before "How often would
 * I meet my manager during it?").
 */
import { contentTerms } from '../search/terms.js'

export interface ConversationTurn { role: string, content: string }

const CONTINUATION = new RegExp(
  String.raw`^(?:and|but|also|so|or|plus|then|what about|how about|what if|and if|same|ok(?:ay)?,? (?:and|what|how)|` +
  String.raw`in that case|if so|if not)\b`,
  'i'
)
const POINTS_BACK = /\b(?:it|its|that|this|they|them|their|those|these|there|he|she|him|her|one|ones|same|such)\b/i

/** The previous user turn when the question leans on it, else null. */
export function contextTurn (question: string, history: readonly ConversationTurn[]): string | null {
  const previous = [...history].reverse().find((t) => t.role === 'user')?.content.trim()
  if (previous === undefined || previous === '') return null
  const terms = contentTerms(question).size
  const q = question.trim()
  if (CONTINUATION.test(q) || terms <= 2 || (POINTS_BACK.test(q) && terms <= 5)) return previous
  return null
}

/** The turn a question leans on (or null), and the text retrieval searches for: that turn, the start of its reply, then the question. */
export function followUp (question: string, history: readonly ConversationTurn[]): { context: string | null, query: string } {
  const context = contextTurn(question, history)
  if (context === null) return { context, query: question }
  return { context, query: [context, replyLead(history), question].filter((t) => t !== '').join(' ') }
}

const REPLY_CHARS = 300

/** The start of the assistant's last reply, without its citation marks: a long reply would drown the question. */
function replyLead (history: readonly ConversationTurn[]): string {
  const last = history[history.length - 1]
  if (last?.role !== 'assistant') return ''
  const text = last.content.replace(/\s*\[\d+\]/g, '').replace(/\s+/g, ' ').trim()
  return text.length <= REPLY_CHARS ? text : text.slice(0, text.lastIndexOf(' ', REPLY_CHARS)).trim()
}

export function retrievalQuery (question: string, history: readonly ConversationTurn[]): string {
  return followUp(question, history).query
}
