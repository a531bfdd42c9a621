/**
 * The extractive answerer: without an LLM, answer with the retrieved passages' own sentences
 * that best match the question (embedding similarity plus term overlap), each cited [n].
 */
import { cleanLine } from './markdown-text.js'
import { contentTerms } from './terms.js'

export interface Passage {
  /** The source number shown to the user as [n]. */
  n: number
  text: string
  /** Heading path ("Sick Leave > Reporting an Absence"): context for judging a sentence out of its passage. */
  heading?: string
}

export interface ExtractiveOptions {
  /** At most this many sentences in the answer. */
  maxSentences: number
  /** Sentences scoring below this fraction of the best one are left out. */
  relativeCutoff: number
  /** A best sentence scoring below this means nothing relevant was found. */
  minScore: number
  /** How many sentences of each passage are considered (passages are short, so all of them by default). */
  maxSentencesPerPassage: number
  similarityWeight: number
  /** Added to sentences with a number when the question asks how much, how long, when... */
  quantityBoost: number
  /** Added in proportion to 1/rank of the sentence's passage. */
  rankWeight: number
  /** Sentences from another document than the best one's must score at least this fraction of it. */
  otherDocumentCutoff: number
}

export const EXTRACTIVE_DEFAULTS: Readonly<ExtractiveOptions> = Object.freeze({
  maxSentences: 3,
  relativeCutoff: 0.7,
  minScore: 0.3,
  maxSentencesPerPassage: 24,
  similarityWeight: 0.6,
  quantityBoost: 0.2,
  rankWeight: 0.05,
  otherDocumentCutoff: 0.8
})

export interface ScoredSentence {
  n: number
  /** The document the sentence comes from (the heading path's first part). */
  document: string
  text: string
  position: number
  similarity: number
  overlap: number
  score: number
}

export interface ExtractiveAnswer {
  answer: string
  cited: number[]
  /** The best sentence's score: how sure the answerer is that the passages answer the question. */
  confidence: number
  sentences: ScoredSentence[]
}

export type EmbedFn = (texts: string[]) => Promise<Float32Array[]>

/** With a null questionVector (no embedding model) sentences are judged by term overlap alone. */
export async function answerExtractively (
  question: string,
  questionVector: Float32Array | null,
  passages: readonly Passage[],
  embed: EmbedFn,
  options: Partial<ExtractiveOptions> = {}
): Promise<ExtractiveAnswer | null> {
  const opts = { ...EXTRACTIVE_DEFAULTS, ...options }
  const candidates = passages.flatMap((p, rank) =>
    splitSentences(p.text).slice(0, opts.maxSentencesPerPassage).map((text, position) => ({ n: p.n, document: p.heading?.split(' > ')[0] ?? '', text, position, rank, context: lastHeading(p.heading) })))
  if (candidates.length === 0) return null

  const vectors = questionVector === null ? [] : await embed(candidates.map((c) => c.context ? `${c.context}: ${c.text}` : c.text))
  const weight = questionVector === null ? 0 : opts.similarityWeight
  const questionTerms = contentTerms(question)
  const wantsQuantity = QUANTITY_QUESTION.test(question)
  const scored = candidates.map(({ context: _context, rank, ...c }, i) => {
    const similarity = questionVector === null ? 0 : dot(questionVector, vectors[i] as Float32Array)
    const overlap = termOverlap(questionTerms, contentTerms(`${_context} ${c.text}`))
    const score = weight * similarity + (1 - weight) * overlap +
      (wantsQuantity && /\d/.test(c.text) ? opts.quantityBoost : 0) + opts.rankWeight / (rank + 1)
    return { ...c, similarity, overlap, score }
  }).sort((a, b) => b.score - a.score || a.n - b.n || a.position - b.position)

  const best = scored[0] as ScoredSentence
  if (best.score < opts.minScore) return null
  const chosen = pick(scored, best, opts)
  return {
    answer: chosen.map((s) => cite(s.text, s.n)).join(' '),
    cited: [...new Set(chosen.map((s) => s.n))],
    confidence: best.score,
    sentences: chosen
  }
}

const QUANTITY_QUESTION = /\b(how\s+(much|many|long|soon|often|quickly|fast|far|early|late)|when|what\s+time|which\s+day|deadline|by\s+when|limit|maximum|minimum|number|phone|extension|rate|percent|amount)\b/i

function lastHeading (heading: string | undefined): string {
  return heading?.split(' > ').at(-1)?.trim() ?? ''
}

function pick (scored: readonly ScoredSentence[], best: ScoredSentence, opts: ExtractiveOptions): ScoredSentence[] {
  const chosen: ScoredSentence[] = []
  for (const s of scored) {
    if (chosen.length >= opts.maxSentences || s.score < best.score * opts.relativeCutoff) break
    if (s.document !== best.document && s.score < best.score * opts.otherDocumentCutoff) continue
    if (chosen.some((c) => nearDuplicate(c.text, s.text))) continue
    chosen.push(s)
  }
  return chosen
}

function cite (sentence: string, n: number): string {
  const trimmed = sentence.trim()
  const end = /[.!?:;]$/.exec(trimmed)
  return end ? `${trimmed.slice(0, -1)} [${n}]${end[0] === ':' || end[0] === ';' ? '.' : end[0]}` : `${trimmed} [${n}].`
}

/** Markdown passage → plain sentences: list items, table rows and paragraphs, split at sentence ends. */
export function splitSentences (markdown: string): string[] {
  const sentences: string[] = []
  for (const line of joinListLeadIns(markdown.split('\n'))) {
    if (line === '') continue
    for (const part of line.split(/(?<=[.!?])\s+(?=[A-Z0-9"“(])/)) {
      const sentence = part.trim()
      if (sentence.split(/\s+/).length >= 4) sentences.push(sentence)
    }
  }
  return sentences
}

/** "…any of the following:" followed by list items becomes one line, so the answer keeps what the lead-in announces. */
function joinListLeadIns (rawLines: string[]): string[] {
  const lines: string[] = []
  let leadIn: string | null = null
  let items: string[] = []
  const flush = (): void => {
    if (leadIn !== null) lines.push(items.length > 0 ? `${leadIn} ${items.join('; ').replace(/[;.]\s*;/g, ';')}` : leadIn)
    leadIn = null
    items = []
  }
  for (const raw of rawLines) {
    const isItem = /^\s*([-*+]|\d+[.)])\s+/.test(raw)
    const line = cleanLine(raw)
    if (leadIn !== null && isItem && line !== '') {
      items.push(line.replace(/[;.]$/, ''))
      continue
    }
    flush()
    if (line.endsWith(':') && !line.startsWith('|')) leadIn = line
    else lines.push(line)
  }
  flush()
  return lines
}

function termOverlap (question: ReadonlySet<string>, sentence: ReadonlySet<string>): number {
  if (question.size === 0) return 0
  let shared = 0
  for (const term of question) if (sentence.has(term)) shared++
  return shared / question.size
}

function nearDuplicate (a: string, b: string): boolean {
  const ta = contentTerms(a)
  const tb = contentTerms(b)
  const smaller = Math.min(ta.size, tb.size)
  if (smaller === 0) return a === b
  let shared = 0
  for (const t of ta) if (tb.has(t)) shared++
  return shared / smaller > 0.8
}

function dot (a: Float32Array, b: Float32Array): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number)
  return sum
}
