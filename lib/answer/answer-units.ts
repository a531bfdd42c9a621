/**
 * A passage's answerable units, in document order: the sentences of its paragraphs, each list
 * item with the lead-in line that announces it, and each table row with its header. A unit is
 * what an extractive answer quotes, so it must read on its own: list items and table rows carry
 * their lead-in or header with them, and `block` tells which units stand side by side in one
 * paragraph, list or table, so an answer can take the sentence before an anaphor.
 */
import { cleanLine } from '../corpus/markdown-text.js'

export interface AnswerUnit {
  /** The unit as quoted in an answer (plain text, lead-in or header included). */
  text: string
  /** A list item's lead-in ("It can be used for:"), so adjacent items can be quoted under one lead-in. */
  leadIn?: string
  /** The unit without its lead-in. */
  body: string
  /** Paragraph, list or table it belongs to: adjacent units of one block may be quoted together. */
  block: number
  /** Position in the passage, in document order. */
  index: number
  /** The innermost heading above the unit in the passage ('' when the passage has none). */
  heading: string
  kind: 'sentence' | 'item' | 'row'
}

const MIN_WORDS = 3
/** A sentence ends at . ! or ? before a capital, but not after an abbreviation such as Ltd., e.g. or No. */
const SENTENCE_END = /(?<!\b(?:Ltd|Inc|Corp|Co|e\.g|i\.e|etc|No|approx|Mr|Ms|Mrs|Dr|St|vs))(?<=[.!?])\s+(?=[A-Z0-9"“(])/
const ITEM = /^\s*([-*+]|\d+[.)])\s+/
/** A paragraph opening with a bold label ("**Illness during PTO.** If an employee ..."). */
const RUN_IN = /^\*\*([^*]{1,80})\*\*\s*(.*)$/
const TABLE_RULE = /^\s*\|?\s*:?-{3,}/

/** `heading` is the passage's heading path ("Sick Leave > Entitlement"): its last part heads units before any heading line. */
export function answerUnits (markdown: string, heading = ''): AnswerUnit[] {
  const units: AnswerUnit[] = []
  let block = 0
  heading = heading.split(' > ').at(-1)?.trim() ?? ''
  let leadIn: string | null = null
  let header: string[] | null = null
  const push = (body: string, kind: AnswerUnit['kind'], lead: string | null = null): void => {
    const text = lead === null ? body : `${lead.replace(/:$/, '')}: ${lowerFirst(body)}`
    if (wordCount(text) >= MIN_WORDS) {
      units.push({ text, body, ...(lead === null ? {} : { leadIn: lead }), block, index: units.length, heading, kind })
    }
  }
  const endBlock = (): void => { block++; leadIn = null; header = null }

  for (const raw of markdown.split('\n')) {
    const line = raw.trim()
    if (line === '') { if (leadIn === null && header === null) endBlock(); continue }
    const headingMatch = /^#{1,6}\s+(.*)$/.exec(line)
    if (headingMatch !== null) { endBlock(); heading = cleanLine(headingMatch[1] ?? ''); continue }
    if (line.startsWith('|')) {
      if (TABLE_RULE.test(line)) continue
      const cells = line.replace(/^\||\|$/g, '').split('|').map((c) => cleanLine(c))
      if (header === null) { if (leadIn === null) endBlock(); header = cells; continue }
      push(tableRow(header, cells), 'row')
      continue
    }
    if (header !== null) endBlock()
    if (ITEM.test(raw)) {
      const [first = '', ...rest] = sentences(ensureStop(cleanLine(raw).replace(/[;.]$/, '')))
      push(first, 'item', leadIn)
      for (const sentence of rest) push(sentence, 'sentence')
      continue
    }
    if (leadIn !== null) endBlock()
    const runIn = RUN_IN.exec(line)
    const text = cleanLine(runIn === null ? raw : runIn[2] ?? '')
    if (text.endsWith(':')) {
      const lines = sentences(text)
      const lead = lines.pop() ?? text
      for (const sentence of lines) push(sentence, 'sentence')
      endBlock()
      const previous = lines.at(-1)
      const pointsBack = previous !== undefined && (wordCount(lead) < 2 || /^(?:it|they|this|these|those|such|each|both)\b/i.test(lead))
      leadIn = pointsBack ? `${previous} ${lead}` : lead
      continue
    }
    const label = runIn === null ? null : cleanLine(runIn[1] ?? '').replace(/[.:]$/, '')
    sentences(text).forEach((sentence, i) => {
      push(i === 0 && label !== null && label !== '' ? `${label}: ${sentence}` : sentence, 'sentence')
    })
  }
  return units
}

/** "Label. Rest of the paragraph" as used for bold run-in headings: the label is context, not a sentence. */
function sentences (paragraph: string): string[] {
  const parts = paragraph.split(SENTENCE_END).map((s) => s.trim()).filter((s) => s !== '')
  const out: string[] = []
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string
    const next = parts[i + 1]
    if (wordCount(part) < MIN_WORDS && next !== undefined && /^[A-Z]/.test(part)) {
      parts[i + 1] = `${part.replace(/[.:]$/, '')}: ${next}`
      continue
    }
    out.push(part)
  }
  return out
}

function tableRow (header: readonly string[], cells: readonly string[]): string {
  const pairs = cells.map((cell, i) => {
    const name = header[i] ?? ''
    return name === '' || name === cell ? cell : `${name}: ${cell}`
  }).filter((p) => p !== '')
  return ensureStop(pairs.join('; '))
}

function ensureStop (text: string): string {
  return /[.!?][)"”]?$/.test(text) ? text : `${text}.`
}

function lowerFirst (text: string): string {
  return /^[A-Z][a-z]/.test(text) ? `${text[0]?.toLowerCase() ?? ''}${text.slice(1)}` : text
}

function wordCount (text: string): number {
  return text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length
}

/** The text a unit's vector is built from: its heading gives it the context a lone sentence lacks. */
export function unitEmbeddingText (unit: Pick<AnswerUnit, 'heading' | 'text'>): string {
  return unit.heading === '' ? unit.text : `${unit.heading}: ${unit.text}`
}
