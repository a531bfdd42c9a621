/**
 * Strict grading of one answer against the facts a correct answer must state.
 *
 * A fact is a list of acceptable phrasings; it is stated when one of them occurs in the answer
 * after both are normalised (case, Unicode forms, markup, number words, thousands separators,
 * "31 March" / "March 31"), on word boundaries, so "5 days" is not found inside "15 days".
 * The attribution an answer opens with ("From the Sick Leave policy (v2.4, effective 1 January
 * 2026): ") and its citation markers are not part of what is graded: a date in the attribution
 * must not count as the deadline the question asks for.
 *   correct: every fact stated, and the first sentence states at least one of them;
 *   partial: some fact stated, or a cited document is one that answers the question;
 *   wrong:   neither.
 */
export type Fact = readonly string[]
export type Grade = 'correct' | 'partial' | 'wrong'

export interface GradeResult {
  grade: Grade
  /** Facts found, in the order given. */
  found: boolean[]
  sentences: number
  /** Answer sentences that state none of the facts. */
  noiseSentences: number
}

const NUMBER_WORDS: Record<string, string> = {
  one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9', ten: '10',
  eleven: '11', twelve: '12', thirteen: '13', fourteen: '14', fifteen: '15', sixteen: '16', seventeen: '17',
  eighteen: '18', nineteen: '19', twenty: '20', thirty: '30', forty: '40', fifty: '50', sixty: '60', ninety: '90', hundred: '100'
}
const MONTHS = 'january|february|march|april|may|june|july|august|september|october|november|december'
const MONTH_DAY = new RegExp(`\\b(${MONTHS})\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b`, 'g')
const DAY_MONTH = new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?(?:\\s+of)?\\s+(${MONTHS})\\b`, 'g')

export function normalise (text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[‘’]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/[‐‑‒–—]/g, '-')
    .replace(/\*\*|__|`/g, '')
    .replace(/\[\d+\]/g, '')
    .replace(/(\d),(?=\d{3}\b)/g, '$1')
    .replace(/\b(\d+)\.00\b/g, '$1')
    .replace(/\b([a-z]+)-(one|two|three|four|five|six|seven|eight|nine)\b/g, (m, tens: string, unit: string) =>
      NUMBER_WORDS[tens] !== undefined && NUMBER_WORDS[unit] !== undefined
        ? String(Number(NUMBER_WORDS[tens]) + Number(NUMBER_WORDS[unit]))
        : m)
    .replace(/\b[a-z]+\b/g, (w) => NUMBER_WORDS[w] ?? w)
    .replace(/\bpercent\b/g, '%')
    .replace(/(\d)\s+%/g, '$1%')
    .replace(DAY_MONTH, '$1 $2')
    .replace(MONTH_DAY, '$2 $1')
    .replace(/\s+/g, ' ')
    .trim()
}

/** The answer without its opening attribution, the refusal-free part that is graded. */
export function gradedText (answer: string): string {
  return answer.replace(/^\s*(?:from|according to)\s+(?:the\s+)?[^:\n]{0,160}?:\s+/i, '')
}

export function states (normalisedText: string, fact: Fact): boolean {
  return fact.some((phrase) => {
    const p = normalise(phrase)
    if (p === '') return false
    let from = 0
    for (;;) {
      const at = normalisedText.indexOf(p, from)
      if (at < 0) return false
      const before = normalisedText[at - 1]
      const after = normalisedText[at + p.length]
      if (!isWordChar(before, p[0]) && !isWordChar(after, p.at(-1))) return true
      from = at + 1
    }
  })
}

function isWordChar (ch: string | undefined, edge: string | undefined): boolean {
  if (ch === undefined || edge === undefined) return false
  const word = /[\p{L}\p{N}]/u
  return word.test(ch) && word.test(edge)
}

export function splitAnswerSentences (text: string): string[] {
  return text.split(/(?<=[.!?])\s+(?=[A-Z0-9"“(•-])|\n+/).map((s) => s.trim()).filter((s) => /[\p{L}\p{N}]/u.test(s))
}

export function grade (
  answer: string,
  facts: readonly Fact[],
  citedDocuments: readonly string[],
  expectedDocuments: readonly string[]
): GradeResult {
  const body = gradedText(answer)
  const text = normalise(body)
  const found = facts.map((fact) => states(text, fact))
  const sentences = splitAnswerSentences(body)
  const noiseSentences = sentences.filter((s) => !facts.some((fact) => states(normalise(s), fact))).length
  const first = normalise(sentences[0] ?? '')
  const firstStates = facts.some((fact) => states(first, fact))
  const all = facts.length > 0 && found.every(Boolean)
  const result = { found, sentences: sentences.length, noiseSentences }
  if (all && firstStates) return { grade: 'correct', ...result }
  if (found.some(Boolean) || citedDocuments.some((d) => expectedDocuments.includes(d))) return { grade: 'partial', ...result }
  return { grade: 'wrong', ...result }
}
