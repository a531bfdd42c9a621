import { echoRule, type EchoRule } from './output.js'
import { collectPiiKeys, findPii, piiKey, replaceMatches } from './pii.js'

export interface OutputStreamOptions {
  /** The passages the answer is written from: PII quoted from them stays, as in checkOutput. */
  sourcesText: string
  systemPrompt: string
  /** Nothing past this many characters is streamed (checkOutput cuts the final answer there too). */
  maxChars: number
}

// How much already-streamed text the detectors see again: "call", "SIN", "passport number" before a number.
const CONTEXT_CHARS = 64
const WORD = /[\p{L}\p{N}]+/gu
const AT_OR_DOT = /^[[({]?(?:at|dot)[\])}]?[.,;:!?]?$/i
const PII_LIKE = /[\d@]/
// The longest stretch held back for PII (an e-mail address can reach 320 characters): a reply that is all
// digits would otherwise be held, and re-scanned, whole.
const MAX_HOLD = 400

/**
 * The `standard` output checks applied to a token stream as it passes: PII that is not in the
 * sources is redacted before it reaches the client, holding back only the trailing words that
 * could still become part of a match (digits, `@`, spelled-out "at"/"dot" and their neighbours);
 * and as soon as the answer starts repeating the system prompt the stream stops (`stopped`) so
 * the caller can fall back. The final answer is still checked whole by checkOutput.
 */
export class OutputStream {
  readonly #inSources: Set<string>
  readonly #echo: EchoRule | null
  readonly #maxChars: number
  #raw = ''
  #pending = ''
  #context = ''
  #sentChars = 0
  #stopped = false
  // The echo check, kept incrementally: complete words so far, where each starts, and the open run.
  #words: string[] = []
  #wordStarts: number[] = []
  #scannedTo = 0
  #run = 0

  constructor (opts: OutputStreamOptions) {
    this.#inSources = collectPiiKeys(opts.sourcesText)
    this.#echo = echoRule(opts.systemPrompt, opts.sourcesText, 'standard')
    this.#maxChars = opts.maxChars
  }

  /** True once the system prompt was being echoed: nothing more is emitted. */
  get stopped (): boolean {
    return this.#stopped
  }

  /** Takes the next piece of the answer; returns what is safe to stream now. */
  push (text: string): string {
    if (this.#stopped) return ''
    this.#raw += text
    this.#pending += text
    const echoHold = this.#echoHold(false)
    if (this.#stopped) return ''
    const piiHold = Math.max(piiHoldStart(this.#pending), this.#pending.length - MAX_HOLD)
    return this.#emit(Math.min(piiHold, echoHold))
  }

  /** The rest, once the answer is complete. */
  end (): string {
    if (this.#stopped) return ''
    this.#echoHold(true)
    if (this.#stopped) return ''
    return this.#emit(this.#pending.length)
  }

  /**
   * Where in the pending text a run of prompt n-grams still open at the end starts (pending.length
   * if none): it is held back, since it may grow into a leak. Sets stopped once a leak is complete.
   */
  #echoHold (final: boolean): number {
    const rule = this.#echo
    if (rule === null) return this.#pending.length
    const from = this.#scannedTo
    const tail = this.#raw.slice(from)
    for (const m of tail.matchAll(WORD)) {
      const end = m.index + m[0].length
      if (end === tail.length && !final) break // the word may go on in the next piece
      this.#words.push(m[0].toLowerCase())
      this.#wordStarts.push(from + m.index)
      this.#scannedTo = from + end
      const first = this.#words.length - rule.n
      if (first >= 0) {
        this.#run = rule.secret.has(this.#words.slice(first).join(' ')) ? this.#run + 1 : 0
        if (this.#run > 0 && this.#run + rule.n - 1 >= rule.threshold) {
          this.#stopped = true
          this.#pending = ''
          return 0
        }
      }
    }
    if (this.#run === 0) return this.#pending.length
    const runStart = this.#wordStarts[this.#words.length - rule.n - this.#run + 1] ?? this.#raw.length
    return Math.max(0, runStart - (this.#raw.length - this.#pending.length))
  }

  #emit (cut: number): string {
    const window = this.#context + this.#pending
    const offset = this.#context.length
    const matches = findPii(window).map((m) => ({ ...m, start: m.start - offset, end: m.end - offset })).filter((m) => m.end > 0)
    // Never split a match: a number half streamed cannot be redacted any more.
    for (const m of matches) if (m.start < cut && cut < m.end) cut = Math.max(0, m.start)
    const ready = this.#pending.slice(0, cut)
    const redact = matches.filter((m) => m.start >= 0 && m.end <= cut && !this.#inSources.has(piiKey(m)))
    this.#context = (this.#context + ready).slice(-CONTEXT_CHARS)
    this.#pending = this.#pending.slice(cut)
    const out = replaceMatches(ready, redact)
    const room = Math.max(0, this.#maxChars - this.#sentChars)
    this.#sentChars += Math.min(out.length, room)
    return out.slice(0, room)
  }
}

/**
 * Where the trailing words that could still grow into PII start: the last word if the text
 * does not end in a space (it may go on), and before it every word with a digit or `@`, a
 * spelled-out "at"/"dot", or a neighbour of one ("jane dot roe at example dot org").
 */
function piiHoldStart (text: string): number {
  const words = [...text.matchAll(/\S+/g)]
  let i = words.length - 1
  const isJoint = (k: number): boolean => AT_OR_DOT.test(words[k]?.[0] ?? '')
  const couldBePii = (k: number): boolean => PII_LIKE.test(words[k]?.[0] ?? '') || isJoint(k) || isJoint(k - 1) || isJoint(k + 1)
  if (i >= 0 && !/\s$/.test(text)) i--
  while (i >= 0 && couldBePii(i)) i--
  return words[i + 1]?.index ?? text.length
}
