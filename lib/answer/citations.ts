/**
 * Citation markers in LLM answers.
 *
 * Accepted forms: `[1]`, `[1, 2]`, `[1; 2]`, `[1 and 2]`, `[1-3]` / `[1–3]`
 * (expanded when at most MAX_RANGE wide, else read as its two ends),
 * `[Source 2]`, `[^2]`. Every accepted group is
 * rewritten to adjacent single markers (`[1][2][3]`) so clients can match
 * `\[(\d+)\]`; numbers outside 1..sourceCount are dropped, and a group left
 * empty is removed along with the space before it when punctuation, a line
 * end or another space follows. Markers are renumbered in order of first
 * appearance (the first source cited becomes [1], the next new one [2], ...),
 * so the citations list is 1..k with no gaps; text is rewritten left to right,
 * so a streamed prefix never changes its numbers later.
 */

export interface CitationCheck {
  /** The answer with every marker canonical and every invalid one removed. */
  answer: string
  /** Valid source numbers, unique, in order of first appearance: `cited[i]` is shown as [i + 1]. */
  cited: number[]
  /** Out-of-range numbers, unique, in order of first appearance. */
  invalid: number[]
  /** True when the answer cited nothing out of range. */
  valid: boolean
}

const MAX_RANGE = 10
const NUM = String.raw`\^?\d{1,4}(?:[ \t]*[-–][ \t]*\^?\d{1,4})?`
const ITEM = String.raw`(?:(?:sources?|src)[ \t]*)?${NUM}`
const GROUP = String.raw`\[[ \t]*${ITEM}(?:[ \t]*(?:,|;|&|and)[ \t]*${ITEM})*[ \t]*\]`
const GROUP_WITH_SPACE = new RegExp(String.raw`([ \t]*)(${GROUP})`, 'gi')
const WHOLE_GROUP = new RegExp(String.raw`^${GROUP}$`, 'i')
const PARTIAL_GROUP = /^\[[ \t\d,;&^\-–sourceand]{0,63}$/i
const DROPS_SPACE_BEFORE = /^[\s.,;:!?)\]]?$/

export function checkCitations (answer: string, sourceCount: number): CitationCheck {
  const tracker = new CitationTracker(sourceCount)
  const text = tracker.rewrite(answer)
  return tracker.result(text)
}

/** The sources an answer cited, in citation order; ids stay the source numbers. */
export function citedSources<T extends { n: number }> (sources: readonly T[], cited: readonly number[]): T[] {
  const byNumber = new Map(sources.map((source) => [source.n, source]))
  return cited.flatMap((n) => byNumber.get(n) ?? [])
}

/**
 * The same rewriting for a token stream: push() returns the text that is safe
 * to send now, holding back only a trailing run of spaces and (possibly
 * unfinished) citation groups; the concatenated output equals
 * checkCitations(whole answer).answer.
 */
export class CitationStream {
  #tracker: CitationTracker
  #pending = ''
  #answer = ''

  constructor (sourceCount: number) {
    this.#tracker = new CitationTracker(sourceCount)
  }

  push (text: string): string {
    this.#pending += text
    const cut = holdBackStart(this.#pending)
    return this.#emit(cut)
  }

  end (): string {
    return this.#emit(this.#pending.length)
  }

  /** The check of everything emitted so far (complete after end()). */
  result (): CitationCheck {
    return this.#tracker.result(this.#answer)
  }

  #emit (cut: number): string {
    const out = this.#tracker.rewrite(this.#pending.slice(0, cut))
    this.#pending = this.#pending.slice(cut)
    this.#answer += out
    return out
  }
}

class CitationTracker {
  readonly #sourceCount: number
  readonly #cited = new Set<number>()
  readonly #invalid = new Set<number>()

  constructor (sourceCount: number) {
    this.#sourceCount = Math.max(0, Math.floor(sourceCount))
  }

  rewrite (text: string): string {
    return text.replace(GROUP_WITH_SPACE, (match: string, space: string, group: string, offset: number) => {
      const valid = this.#classify(group)
      if (valid.length > 0) return space + valid.map((n) => `[${this.#id(n)}]`).join('')
      const next = text.charAt(offset + match.length)
      return DROPS_SPACE_BEFORE.test(next) ? '' : space
    })
  }

  result (answer: string): CitationCheck {
    const invalid = [...this.#invalid]
    return { answer, cited: [...this.#cited], invalid, valid: invalid.length === 0 }
  }

  #id (source: number): number {
    return [...this.#cited].indexOf(source) + 1
  }

  #classify (group: string): number[] {
    const valid: number[] = []
    for (const n of groupNumbers(group)) {
      if (n >= 1 && n <= this.#sourceCount) {
        if (!valid.includes(n)) valid.push(n)
        this.#cited.add(n)
      } else {
        this.#invalid.add(n)
      }
    }
    return valid
  }
}

function groupNumbers (group: string): number[] {
  const numbers: number[] = []
  for (const [, a, b] of group.matchAll(/(\d+)(?:[ \t]*[-–][ \t]*\^?(\d+))?/g)) {
    const from = Number(a)
    const to = b === undefined ? from : Number(b)
    if (to >= from && to - from <= MAX_RANGE) {
      for (let n = from; n <= to; n++) numbers.push(n)
    } else {
      numbers.push(from, to)
    }
  }
  return numbers
}

/**
 * Where the held-back tail starts: an unfinished group that may still become
 * a citation, and before it any complete groups and spaces, since removing a
 * group depends on the character after it.
 */
function holdBackStart (text: string): number {
  let start = text.length
  const open = text.lastIndexOf('[')
  if (open !== -1 && PARTIAL_GROUP.test(text.slice(open))) start = open
  for (;;) {
    let end = start
    while (end > 0 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--
    if (end > 0 && text[end - 1] === ']') {
      const begin = text.lastIndexOf('[', end - 1)
      if (begin !== -1 && WHOLE_GROUP.test(text.slice(begin, end))) {
        start = begin
        continue
      }
    }
    return end
  }
}
