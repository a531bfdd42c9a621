import { collectPiiKeys, findPii, piiKey, replaceMatches } from './pii.js'
import { type GuardrailsLevel, type PiiKind, sortKinds } from './types.js'

export interface OutputCheckInput {
  answer: string
  /** The passages the answer was written from; PII quoted from them (a hotline number, an HR address) stays. */
  sourcesText: string
  /** Only the instruction part of the prompt: passages in it would make quoting them look like a leak. */
  systemPrompt: string
  maxChars: number
}

export interface OutputCheckResult {
  answer: string
  pii_redacted: PiiKind[]
  leaked_system_prompt: boolean
  truncated: boolean
}

export const SYSTEM_PROMPT_REPLACEMENT = 'I can only answer questions about company policies, and I cannot share how I am configured. ' +
  'Please ask about a policy topic.'

const NGRAM = { standard: 8, strict: 6 }
const LEAK_RUN = { standard: 12, strict: 8 }

export function words (text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
}

function ngrams (tokens: string[], n: number): Set<string> {
  const out = new Set<string>()
  for (let i = 0; i + n <= tokens.length; i++) out.add(tokens.slice(i, i + n).join(' '))
  return out
}

/** How an echo of the system prompt is recognised: runs of its n-grams that the sources do not also contain. */
export interface EchoRule {
  n: number
  /** Shared words that make a leak. */
  threshold: number
  secret: Set<string>
}

function secretNgrams (promptTokens: string[], sourcesText: string, n: number): Set<string> {
  const fromSources = ngrams(words(sourcesText), n)
  return new Set([...ngrams(promptTokens, n)].filter((g) => !fromSources.has(g)))
}

export function echoRule (systemPrompt: string, sourcesText: string, level: GuardrailsLevel): EchoRule | null {
  const key = level === 'strict' ? 'strict' : 'standard'
  const n = NGRAM[key]
  const promptTokens = words(systemPrompt)
  if (promptTokens.length < n) return null
  return { n, threshold: Math.min(LEAK_RUN[key], promptTokens.length), secret: secretNgrams(promptTokens, sourcesText, n) }
}

/** Longest run of shared words, and where the run still open at the end starts (a word index), if any. */
export function promptRuns (tokens: readonly string[], rule: EchoRule): { longest: number, openRunStart: number | null } {
  let longest = 0
  let run = 0
  for (let i = 0; i + rule.n <= tokens.length; i++) {
    run = rule.secret.has(tokens.slice(i, i + rule.n).join(' ')) ? run + 1 : 0
    if (run > 0) longest = Math.max(longest, run + rule.n - 1)
  }
  const last = tokens.length - rule.n
  return { longest, openRunStart: run > 0 ? last - run + 1 : null }
}

/** Longest run of words the answer shares with the system prompt, ignoring runs the sources also contain. */
export function longestPromptOverlap (answer: string, systemPrompt: string, sourcesText: string, n: number): number {
  const promptTokens = words(systemPrompt)
  if (promptTokens.length < n) return 0
  return promptRuns(words(answer), { n, threshold: 0, secret: secretNgrams(promptTokens, sourcesText, n) }).longest
}

export function leaksSystemPrompt (answer: string, systemPrompt: string, sourcesText: string, level: GuardrailsLevel): boolean {
  const rule = echoRule(systemPrompt, sourcesText, level)
  return rule !== null && promptRuns(words(answer), rule).longest >= rule.threshold
}

/** Cuts at the last sentence end (or word) before the limit, never inside a `[n]` citation. */
export function truncateAnswer (answer: string, maxChars: number): string {
  if (answer.length <= maxChars) return answer
  let head = answer.slice(0, Math.max(0, maxChars - 2))
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1)
  const sentenceEnds = [...head.matchAll(/[.!?](?:\s*\[\d+\])*(?=\s|$)/g)]
  const lastSentence = sentenceEnds[sentenceEnds.length - 1]
  if (lastSentence !== undefined && (lastSentence.index + lastSentence[0].length) >= maxChars / 2) {
    return head.slice(0, lastSentence.index + lastSentence[0].length) + ' …'
  }
  const space = head.lastIndexOf(' ')
  const cut = space >= maxChars / 2 ? head.slice(0, space) : head
  return cut.replace(/\s*\[\d*$/, '').trimEnd() + '…'
}

function redactUnsourcedPii (answer: string, sourcesText: string, level: GuardrailsLevel): { text: string, kinds: PiiKind[] } {
  const inSources = collectPiiKeys(sourcesText)
  const alwaysRedact: PiiKind[] = level === 'strict' ? ['card', 'ssn'] : []
  const redact = findPii(answer).filter((m) => alwaysRedact.includes(m.kind) || !inSources.has(piiKey(m)))
  if (redact.length === 0) return { text: answer, kinds: [] }
  return { text: replaceMatches(answer, redact), kinds: sortKinds(redact.map((m) => m.kind)) }
}

export function checkOutput (input: OutputCheckInput, level: GuardrailsLevel = 'standard'): OutputCheckResult {
  if (level === 'off') return { answer: input.answer, pii_redacted: [], leaked_system_prompt: false, truncated: false }
  if (leaksSystemPrompt(input.answer, input.systemPrompt, input.sourcesText, level)) {
    return { answer: SYSTEM_PROMPT_REPLACEMENT, pii_redacted: [], leaked_system_prompt: true, truncated: false }
  }
  const redacted = redactUnsourcedPii(input.answer, input.sourcesText, level)
  const capped = truncateAnswer(redacted.text, input.maxChars)
  return { answer: capped, pii_redacted: redacted.kinds, leaked_system_prompt: false, truncated: capped !== redacted.text }
}
