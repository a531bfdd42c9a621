/**
 * The extractive answerer: without an LLM, answer with the retrieved passages' own words. It
 * quotes one contiguous span (one to three adjacent units: sentences, a list item with its
 * lead-in, a table row with its header) from the passage that answers best, in document order,
 * and opens with the policy it quotes. Units are judged by meaning (embedding similarity) and
 * by the question's words, and preferred when they give the kind of answer the question asks
 * for: the deciding sentence of a yes/no question, the action and contact of an instruction
 * question, a figure for a quantity question. A question asking two things gets one span per part.
 */
import { answerUnits, unitEmbeddingText, type AnswerUnit } from './answer-units.js'
import { dot } from '../embedding/l2.js'
import { questionKind, type AnswerType, type QuestionKind } from './question-kind.js'
import { workplaceSynonyms } from '../search/synonyms.js'
import { contentTerms } from '../search/terms.js'

export interface Passage {
  /** The source number, cited as [n]. */
  n: number
  text: string
  /** Heading path ("Sick Leave > Reporting an Absence"). */
  heading?: string
  document_id?: string
  document_title?: string
  version?: string | null
  effective_date?: string | null
}

export interface ExtractiveOptions {
  /** A best unit scoring below this means nothing relevant was found. */
  minScore: number
  similarityWeight: number
  /** Added to units that give the kind of answer the question asks for. */
  kindBoost: number
  /** Added in proportion to 1/rank of the unit's passage. */
  rankWeight: number
  /** A neighbour joins the span when it scores at least this fraction of the best unit. */
  neighbourCutoff: number
  /** For an instruction, the next unit giving a further step or contact joins at this fraction of the best score. */
  nextStepCutoff: number
  /** A neighbour that continues the best unit's subject ("It ...") joins at this fraction. */
  continuationCutoff: number
  /** At most this many units in one span. */
  maxSpanUnits: number
  /** Added to a second part's units from the document that answered the first part. */
  sameDocumentBoost: number
  /** Weight of a synonym's words (index-data/synonyms.json) against the question's own words. */
  synonymWeight: number
  /** For an instruction, a best unit that states no action gives way to the action that follows it. */
  leadWithAction: boolean
  /** Weight of the words of the turn a follow-up leans on, against the follow-up's own words (1: the same). */
  contextWeight: number
  /** Kind fit of a unit stating the answer type the question's form asks for (a sum for "how much", a duration for "how long"). */
  typeFit: number
  /** Kind fit of any other figure for a quantity question whose answer type is known. */
  otherFigureFit: number
  /** A runner-up neighbour joins the span only when it states a fact (a figure, a date, a deadline, a contact or a system). */
  factLikeNeighbours: boolean
}

export const EXTRACTIVE_DEFAULTS: Readonly<ExtractiveOptions> = Object.freeze({
  minScore: 0.2,
  similarityWeight: 0.55,
  kindBoost: 0.18,
  rankWeight: 0.12,
  neighbourCutoff: 0.9,
  continuationCutoff: 0,
  nextStepCutoff: 0.6,
  maxSpanUnits: 3,
  synonymWeight: 0.5,
  sameDocumentBoost: 0.1,
  leadWithAction: true,
  contextWeight: 0.5,
  typeFit: 1,
  otherFigureFit: 0,
  factLikeNeighbours: true
})

export interface ScoredUnit extends AnswerUnit {
  n: number
  passage: number
  /** The policy the unit comes from. */
  document: string
  similarity: number
  overlap: number
  /** Similarity and the share of the question's words the unit holds: the confidence that it answers at all. */
  evidence: number
  score: number
}

export interface ExtractiveAnswer {
  answer: string
  /** Source numbers cited, in order of first appearance. */
  cited: number[]
  /** The best unit's score: how sure the answerer is that the passages answer the question. */
  confidence: number
  units: ScoredUnit[]
}

/** Vectors for unit texts (see `unitEmbeddingText`), from the index when it has them. */
export type EmbedFn = (texts: string[]) => Promise<Float32Array[]>

interface ReadUnit extends AnswerUnit { terms: ReadonlySet<string>, vectorText: string }

interface Candidate extends ReadUnit { n: number, passage: number, document: string }

/** Passages come back from a read-only index, question after question: each is cut into units and its words read once. */
const readPassages = new Map<string, readonly ReadUnit[]>()
const READ_PASSAGES_KEPT = 512

function readUnits (text: string, heading = ''): readonly ReadUnit[] {
  const key = `${heading}\n${text}`
  let units = readPassages.get(key)
  if (units === undefined) {
    units = answerUnits(text, heading)
      .map((u) => ({ ...u, terms: contentTerms(`${u.heading} ${u.text}`), vectorText: unitEmbeddingText(u) }))
    if (readPassages.size >= READ_PASSAGES_KEPT) readPassages.delete(readPassages.keys().next().value as string)
    readPassages.set(key, units)
  }
  return units
}

/** The texts whose vectors an answer over these passages needs: what the index stores at build time. */
export function passageUnitTexts (markdown: string, heading = ''): string[] {
  return answerUnits(markdown, heading).map(unitEmbeddingText)
}

export interface ExtractiveQuestion {
  question: string
  /** The earlier question a follow-up leans on: its words count, its kind does not. */
  context?: string | null
  /** The embedding of the question (with its context); null without an embedding model. */
  questionVector: Float32Array | null
  /** Embeds the parts of a two-part question; null without an embedding model. */
  embedQuestion?: EmbedFn | null
  /** Whether the policies use a phrase: synonyms are added only for words they do not use. */
  knownPhrase?: (phrase: string) => boolean
}

/** With a null questionVector (no embedding model) units are judged by the question's words alone. */
export async function answerExtractively (
  input: ExtractiveQuestion,
  passages: readonly Passage[],
  embed: EmbedFn,
  options: Partial<ExtractiveOptions> = {}
): Promise<ExtractiveAnswer | null> {
  const opts = { ...EXTRACTIVE_DEFAULTS, ...options }
  const { question, questionVector } = input
  const context = input.context ?? ''
  const candidates = passages.flatMap((p, passage) => readUnits(p.text, p.heading).map((u) => ({
    ...u,
    n: p.n,
    passage,
    document: p.document_id ?? p.heading?.split(' > ')[0] ?? ''
  })))
  if (candidates.length === 0) return null
  const vectors = questionVector === null ? [] : await embed(candidates.map((c) => c.vectorText))
  const kind = questionKind(question)
  const partVectors = kind.parts.length > 1 && questionVector !== null && input.embedQuestion
    ? await input.embedQuestion(kind.parts.map((part) => `${context} ${part}`.trim()))
    : [questionVector]
  const idf = inverseFrequencies(candidates)
  const kinds = kind.parts.map((part) => kind.parts.length === 1 ? kind : { ...questionKind(part), parts: [part] })
  const partSpans = kind.parts.map((part, i) => {
    const partKind = kinds[i] ?? kind
    const text = `${context} ${kind.parts.length === 1 ? question : part}`
    const own = kind.parts.length === 1 ? question : part
    return scoreUnits(candidates, idf, vectors, partVectors[i] ?? questionVector, text, partKind, opts, input.knownPhrase, own)
  })
  const best = partSpans[0]?.[0]
  if (best === undefined || best.evidence < opts.minScore) return null
  const spans: ScoredUnit[][] = []
  for (const [i, ranked] of partSpans.entries()) {
    // Both parts of one question are usually about one policy: the second part prefers the first's.
    const firstDocument = i === 0 ? undefined : spans[0]?.[0]?.document
    const scored = firstDocument === undefined
      ? ranked
      : ranked.map((u) => u.document === firstDocument ? { ...u, score: u.score + opts.sameDocumentBoost } : u)
        .sort((a, b) => b.score - a.score)
    const top = scored[0]
    if (top === undefined || top.evidence < opts.minScore) continue
    if (spans.some((s) => s.some((u) => u.n === top.n && u.index === top.index))) continue
    spans.push(spanAround(top, scored, kinds[i] ?? kind, opts))
  }
  spans.sort((a, b) => (a[0]?.passage ?? 0) - (b[0]?.passage ?? 0) || (a[0]?.index ?? 0) - (b[0]?.index ?? 0))
  const answer = formatAnswer(spans, passages)
  const cited: number[] = []
  for (const span of spans) for (const u of span) if (!cited.includes(u.n)) cited.push(u.n)
  return { answer, cited, confidence: best.evidence, units: spans.flat() }
}

function scoreUnits (
  candidates: readonly Candidate[],
  idf: (term: string) => number,
  vectors: readonly Float32Array[],
  questionVector: Float32Array | null,
  question: string,
  kind: QuestionKind,
  opts: ExtractiveOptions,
  known?: (phrase: string) => boolean,
  own: string = question
): ScoredUnit[] {
  const questionTerms = contentTerms(question)
  const ownTerms = contentTerms(own)
  const contextTerms = new Set([...questionTerms].filter((t) => !ownTerms.has(t)))
  const expansions = workplaceSynonyms().expansions(question, known).join(' ')
  const synonymTerms = new Set([...contentTerms(expansions)].filter((t) => !questionTerms.has(t)))
  const weight = questionVector === null ? 0 : opts.similarityWeight
  const raw = candidates.map((c) =>
    weightedShared(questionTerms, c.terms, idf) - (1 - opts.contextWeight) * weightedShared(contextTerms, c.terms, idf) +
    opts.synonymWeight * weightedShared(synonymTerms, c.terms, idf))
  const top = Math.max(1e-9, ...raw)
  const questionWeight = Math.max(1e-9, totalWeight(questionTerms, idf))
  return candidates.map((c, i) => {
    const similarity = questionVector === null ? 0 : dot(questionVector, vectors[i] as Float32Array)
    // Ranking compares units with each other; evidence (how much of the question a unit covers) decides whether to answer at all.
    const overlap = (raw[i] as number) / top
    const evidence = weight * similarity + (1 - weight) * Math.min(1, (raw[i] as number) / questionWeight)
    const score = weight * similarity + (1 - weight) * overlap + opts.rankWeight / (c.passage + 1) +
      opts.kindBoost * kindFit(c.text, kind, opts) - opts.kindBoost * genericity(c.text, c.heading)
    const { terms: _t, vectorText: _v, ...unit } = c
    return { ...unit, similarity, overlap, evidence, score }
  }).sort((a, b) => b.score - a.score || a.passage - b.passage || a.index - b.index)
}

const MONTHS = 'january|february|march|april|may|june|july|august|september|october|november|december'
/** A number as the policies qualify it ("10 working", "3 consecutive"), before its unit. */
const QUALIFIED_NUMBER = String.raw`\b\d+(?:[.,]\d+)?\s*(?:-\s*)?(?:working |business |calendar |consecutive |paid |unpaid )?`
// A date: "may" alone is the modal verb, so a month counts next to a day or a year ("1 May", "May 2026"); the others alone.
const CALENDAR_DATE = String.raw`\b\d{1,2}(?:st|nd|rd|th)?\s+(?:${MONTHS})\b|\b(?:${MONTHS})\s+\d|` +
  String.raw`\b(?:january|february|april|june|july|august|september|october|november|december)\b`
const NUMBER_WITH_UNIT = new RegExp([
  String.raw`\$\s?\d`,
  String.raw`\d\s?%`,
  QUALIFIED_NUMBER +
    String.raw`(?:days?|weeks?|months?|years?|hours?|minutes?|times?|km|per cent|percent|nights?|shifts?|sessions?|` +
    String.raw`people|employees|characters?)\b`,
  CALENDAR_DATE,
  String.raw`\b\d{1,2}(?::\d{2})?\s?(?:am|pm)\b`,
  // How often: "every year", "once a month", "quarterly".
  String.raw`\b(?:every|each|once a|twice a)\s+(?:other\s+|\d+\s+)?(?:day|week|month|quarter|year)s?\b`,
  String.raw`\b(?:daily|weekly|fortnightly|monthly|quarterly|annually|yearly)\b`
].join('|'), 'i')
const IMPERATIVE = new RegExp(
  String.raw`^(?:(?:[\w\s,'-]{0,60}?,\s*)?(?:please\s+)?(?:(?:also|then|next|first|finally|always|immediately|and)\s+)?)` +
  String.raw`(?:tell|report|send|contact|call|email|e-mail|notify|inform|record|submit|request|ask|complete|raise|log|book|` +
  String.raw`file|use|speak|talk|keep|return|bring|leave|go|follow|lock|change|reset|forward|delete|escalate|apply|register|` +
  String.raw`attach|upload|enrol|enroll|sign|agree|discuss|make|get|check|write|fill|phone|message|reach out)\b`,
  'i'
)
const OBLIGATION = new RegExp(
  String.raw`\b(?:must|should|need to|needs to|is required to|are required to|have to|has to)\s+(?:\w+\s+){0,2}` +
  String.raw`(?:tell|report|send|contact|notify|inform|submit|request|ask|complete|raise|log|book|file|record|return|` +
  String.raw`email|call|speak|agree|discuss|apply|get|obtain|give)\b`,
  'i'
)
const CONTACT = new RegExp([
  String.raw`[\w.+-]+@[\w-]+\.[\w.-]+`,
  String.raw`\bext(?:ension)?\.?\s*\d+`,
  String.raw`\b\d{3}[\s.-]\d{3,4}(?:[\s.-]\d{4})?\b`,
  String.raw`\b(?:in|through|via|using|on|to)\s+(?:the\s+)?[A-Z][a-z]+[A-Z]?\w*\b`
].join('|'))
const DECIDES = new RegExp(
  String.raw`\b(?:may|may not|must|must not|cannot|can't|can|not|never|only|no|allowed|permitted|prohibited|forbidden|required|eligible|` +
  String.raw`entitled|unless|except|does not|do not|are not|is not|need not)\b`,
  'i'
)
const DEFINITION = /^(?:an?|the)?\s*[\w\s'-]{1,40}?\b(?:is|are|means|include|includes)\s+(?:any|an?|the|all|every)\b/i
const GENERIC = new RegExp([
  String.raw`^(?:this policy|these rules|the purpose of this|it applies to|this document|this section)\b`,
  String.raw`\b(?:is committed to|wants to|aims to|values are|we believe)\b`,
  String.raw`\b(?:is covered|are covered|are described|is described|is set out|are set out)\s+(?:separately\s+)?in the\b`
].join('|'), 'i')

const DURATION = QUALIFIED_NUMBER + String.raw`(?:days?|weeks?|months?|years?|hours?|minutes?|nights?|shifts?)\b`
/** What a unit must state to give the answer type a question asks for (question-kind.ts). */
const ANSWER_TYPE_PATTERNS: Readonly<Record<AnswerType, RegExp>> = {
  money: /\$\s?\d|\d\s?%|\b\d+(?:[.,]\d+)?\s?(?:per cent|percent|dollars|cad|usd)\b/i,
  duration: new RegExp(DURATION, 'i'),
  deadline: new RegExp([
    String.raw`\bwithin\s+(?:\d|one|two|three|four|five|six|seven|eight|nine|ten|a|an|the first)\b|\bno later than\b`,
    String.raw`\bby\s+(?:the\s+)?(?:\d|end|close|${MONTHS}|monday|tuesday|wednesday|thursday|friday|noon|midnight)`,
    String.raw`\b(?:at least|minimum of)\s+[\w\s']{0,25}?(?:notice|in advance|before)\b|\bimmediately\b|\bsame day\b`,
    String.raw`${DURATION}'?\s+(?:of\s+)?(?:written\s+)?(?:notice|in advance|before|after|of (?:the|returning|starting))\b`
  ].join('|'), 'i'),
  frequency: new RegExp([
    String.raw`\b(?:every|each|once a|twice a|once per|per)\s+(?:other\s+|\d+\s+)?(?:day|week|month|quarter|year|calendar year)s?\b`,
    String.raw`\b(?:daily|weekly|fortnightly|monthly|quarterly|annually|yearly|biweekly|semi-annually)\b|\b(?:once|twice|\d+ times)\b`
  ].join('|'), 'i'),
  date: new RegExp([
    CALENDAR_DATE,
    String.raw`\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?\b|\b(?:month|year|quarter)-end\b`,
    String.raw`\bend of (?:the )?(?:month|year|quarter)\b`
  ].join('|'), 'i'),
  time: /\b\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}:\d{2}\b|\bnoon\b|\bmidnight\b/i
}

/** A unit that states something checkable rather than context: a figure, a date, a deadline, a contact or a system. */
function factLike (text: string): boolean {
  return NUMBER_WITH_UNIT.test(text) || CONTACT.test(text) || ANSWER_TYPE_PATTERNS.deadline.test(text) ||
    ANSWER_TYPE_PATTERNS.money.test(text)
}

/** 1 when the unit gives the kind of answer the question asks for (several kinds add up to at most 1). */
function kindFit (text: string, kind: QuestionKind, opts: ExtractiveOptions): number {
  let fit = 0
  // "How much" wants a sum and "how long" a duration, not any figure; a question of no known type takes any.
  if (kind.answerType !== null) fit += ANSWER_TYPE_PATTERNS[kind.answerType].test(text) ? opts.typeFit : opts.otherFigureFit
  else if (kind.quantity && NUMBER_WITH_UNIT.test(text)) fit += 1
  if (kind.instruction) {
    if (IMPERATIVE.test(text) || OBLIGATION.test(text)) fit += 0.6
    if (CONTACT.test(text)) fit += 0.5
    if (DEFINITION.test(text)) fit -= 0.8
  }
  if (kind.yesNo && DECIDES.test(text)) fit += 0.5
  return Math.max(-1, Math.min(1, fit))
}

/** Sentences that introduce or point elsewhere rather than state anything. */
function genericity (text: string, heading: string): number {
  return (GENERIC.test(text) ? 1 : 0) + (/^purpose|^scope|^introduction/i.test(heading) ? 0.3 : 0)
}

/** A sentence that goes on about the one before it ("It may be used at most twice a year."). */
const CONTINUES = new RegExp(
  String.raw`^(?:(?:it|they|this|these|those|such|each|both)\b|` +
  String.raw`(?:report|send|forward|tell|return|submit|record|complete|raise|log|file|keep|email|call|notify|use|bring|` +
  String.raw`delete|lock|change|request)\s+(?:it|them|this|these|those)\b)`,
  'i'
)
/** A step added to the one before it ("Also report a theft to the police."). */
const ADDS_STEP = /^(?:also|additionally|in addition|as well)\b/i
/** A phrase that refers to something said just before ("within that time", "above that value", "such a request"). */
const POINTS_BACK = new RegExp(
  String.raw`\b(?:within|after|before|by|at|above|below|over|under|beyond|in|for|during|of) (?:that|this|these|those|such) ` +
  String.raw`(?:time|period|date|value|amount|limit|deadline|day|days|week|weeks|case|cases|threshold|request|requests|list)\b`,
  'i'
)
const ANAPHOR = new RegExp(
  String.raw`^(?:\(?(?:they|them|their|this|these|those|that|it|its|such|here|there|otherwise|however|instead|also|` +
  String.raw`in (?:both|either|this|that|these|such|each) cases?|the same|in that case|if so|if not|` +
  String.raw`any (?:\w+ )?(?:above|below|over|under) (?:that|this))\b)`,
  'i'
)

/** The best unit and the neighbours it needs: the one before an anaphor, and close runners-up next to it. */
function spanAround (top: ScoredUnit, scored: readonly ScoredUnit[], kind: QuestionKind, opts: ExtractiveOptions): ScoredUnit[] {
  const block = scored.filter((u) => u.n === top.n && u.block === top.block).sort((a, b) => a.index - b.index)
  const at = block.findIndex((u) => u.index === top.index)
  let from = at
  let to = at
  const needsBefore = (u: ScoredUnit | undefined): boolean => u !== undefined && (ANAPHOR.test(u.text) || POINTS_BACK.test(u.text))
  while (to - from + 1 < opts.maxSpanUnits && from > 0 && needsBefore(block[from])) from--
  while (to - from + 1 < opts.maxSpanUnits && to + 1 < block.length) {
    const next = block[to + 1] as ScoredUnit
    const continues = CONTINUES.test(next.text) && (NUMBER_WITH_UNIT.test(next.text) || CONTACT.test(next.text)) &&
      next.score >= top.score * opts.continuationCutoff && to === at
    // An instruction goes on with its next step or contact ("Report a theft to the police as well.").
    const nextStep = kind.instruction && kindFit(next.text, kind, opts) > 0 &&
      (next.score >= top.score * opts.nextStepCutoff || ADDS_STEP.test(next.text))
    const close = next.score >= top.score * opts.neighbourCutoff && (!opts.factLikeNeighbours || factLike(next.text))
    if (!continues && !nextStep && !close) break
    to++
  }
  // "Costs are reimbursed after ... Submit the transcript in Ledgerly within 60 days": the step is the answer.
  if (opts.leadWithAction && kind.instruction && from === at && to > at && kindFit(top.text, kind, opts) <= 0 &&
    !needsBefore(block[at + 1])) from++
  return block.slice(from, to + 1)
}

function formatAnswer (spans: readonly ScoredUnit[][], passages: readonly Passage[]): string {
  const parts: string[] = []
  let lastDocument: string | undefined
  for (const span of spans) {
    const first = span[0]
    if (first === undefined) continue
    const quote = cite(quoteSpan(span), first.n)
    parts.push(first.document === lastDocument ? quote : `${attribution(passages[first.passage])}${quote}`)
    lastDocument = first.document
  }
  return parts.join(' ')
}

/** Adjacent list items under one lead-in read as one list: "Lead-in: a; b; c." */
function quoteSpan (span: readonly ScoredUnit[]): string {
  const out: string[] = []
  let lead: string | undefined
  for (const u of span) {
    if (u.leadIn !== undefined && u.leadIn === lead) {
      const previous = (out[out.length - 1] ?? '').replace(/[.;]$/, '')
      out[out.length - 1] = `${previous}; ${u.body.replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase())}`
    } else out.push(u.text)
    lead = u.leadIn
  }
  return out.join(' ')
}

function attribution (passage: Passage | undefined): string {
  const title = passage?.document_title ?? passage?.heading?.split(' > ')[0]?.trim()
  if (title === undefined || title === '') return ''
  const name = /\b(?:policy|code of conduct)$/i.test(title) ? `the ${title}` : `the ${title} policy`
  const details = [
    passage?.version ? `v${passage.version}` : '',
    passage?.effective_date ? `effective ${readableDate(passage.effective_date)}` : ''
  ].filter((d) => d !== '')
  return `From ${name}${details.length > 0 ? ` (${details.join(', ')})` : ''}: `
}

const MONTH_NAMES = [
  'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'
]

function readableDate (iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso)
  if (m === null) return iso
  return `${Number(m[3])} ${MONTH_NAMES[Number(m[2]) - 1] ?? m[2]} ${m[1]}`
}

/** Bracketed numbers inside a policy's own text must not read as citations. */
function unbracket (text: string): string {
  return text.trim().replace(/\[(\s*\^?\d[\d\s,;–-]*)\]/g, '($1)')
}

function cite (sentence: string, n: number): string {
  const trimmed = unbracket(sentence)
  const end = /[.!?:;]["”)]?$/.exec(trimmed)
  if (end === null) return `${trimmed} [${n}].`
  const stop = end[0].startsWith(':') || end[0].startsWith(';') ? '.' : end[0]
  return `${trimmed.slice(0, -end[0].length)} [${n}]${stop}`
}

/** How rare each term is among the candidate units: a word every unit shares says little about which one answers. */
function inverseFrequencies (candidates: ReadonlyArray<{ terms: ReadonlySet<string> }>): (term: string) => number {
  const df = new Map<string, number>()
  for (const c of candidates) for (const t of c.terms) df.set(t, (df.get(t) ?? 0) + 1)
  const n = candidates.length
  return (term) => Math.log(1 + n / (1 + (df.get(term) ?? 0)))
}

function totalWeight (terms: ReadonlySet<string>, idf: (term: string) => number): number {
  let sum = 0
  for (const t of terms) sum += idf(t)
  return sum
}

function weightedShared (a: ReadonlySet<string>, b: ReadonlySet<string>, idf: (term: string) => number): number {
  let sum = 0
  for (const t of a) if (b.has(t)) sum += idf(t)
  return sum
}