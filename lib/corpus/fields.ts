/**
 * A policy's fields and where they are written: a front matter block (`---` lines, Markdown and
 * text files), or "Key: value" lines at the top of any document ("Version: 3.2", "Effective date:
 * 1 January 2026"), which is how policies exported from Word usually state them.
 */
export const OPTIONAL_FIELDS = ['version', 'effective_date', 'review_date', 'owner', 'source_url'] as const
export const FIELD_NAMES = ['id', 'title', 'category', ...OPTIONAL_FIELDS] as const
export type FieldName = (typeof FIELD_NAMES)[number]
export type Fields = Partial<Record<FieldName, string>>

/** Names the file and, when known, the field at fault. */
export class CorpusError extends Error {
  readonly file: string
  readonly field: string | undefined

  constructor (file: string, message: string, field?: string) {
    super(field === undefined ? `${file}: ${message}` : `${file}: field "${field}": ${message}`)
    this.name = 'CorpusError'
    this.file = file
    this.field = field
  }
}

const LINE_PATTERN = /^([a-z_]+):[ \t]*(.*)$/

export function isFieldName (key: string): key is FieldName {
  return (FIELD_NAMES as readonly string[]).includes(key)
}

/** The front matter's fields and the text after it; a text without front matter is all body. */
export function splitFrontMatter (text: string, file: string): { fields: Fields, body: string } {
  if (!text.startsWith('---\n')) return { fields: {}, body: text }
  const close = text.indexOf('\n---\n', 3)
  const closeAtEnd = text.endsWith('\n---') ? text.length - 4 : -1
  const end = close >= 0 ? close : closeAtEnd
  if (end < 0) throw new CorpusError(file, 'front matter is not closed by a "---" line')
  return { fields: parseFields(text.slice(4, end), file), body: text.slice(Math.min(end + 5, text.length)) }
}

function parseFields (block: string, file: string): Fields {
  const fields: Fields = {}
  for (const line of block.split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue
    const match = LINE_PATTERN.exec(line)
    if (match === null) throw new CorpusError(file, `cannot parse front matter line ${JSON.stringify(line)} (expected "key: value")`)
    const key = match[1] ?? ''
    if (!isFieldName(key)) throw new CorpusError(file, `unknown field (allowed: ${FIELD_NAMES.join(', ')})`, key)
    if (fields[key] !== undefined) throw new CorpusError(file, 'appears twice', key)
    fields[key] = unquote((match[2] ?? '').trim(), file, key)
  }
  return fields
}

function unquote (value: string, file: string, field: string): string {
  const quote = value[0]
  if (quote !== '"' && quote !== "'") return value
  if (value.length < 2 || value[value.length - 1] !== quote) throw new CorpusError(file, 'has an unterminated quote', field)
  const inner = value.slice(1, -1)
  return quote === "'" ? inner.replaceAll("''", "'") : inner.replaceAll('\\"', '"').replaceAll('\\\\', '\\')
}

const HEADER_LABELS: Record<string, FieldName> = {
  version: 'version',
  'policy version': 'version',
  'document version': 'version',
  effective: 'effective_date',
  'effective date': 'effective_date',
  'effective from': 'effective_date',
  'review date': 'review_date',
  'next review': 'review_date',
  'next review date': 'review_date',
  owner: 'owner',
  'policy owner': 'owner',
  'document owner': 'owner',
  category: 'category',
  'source url': 'source_url'
}

const HEADER_LINE = /^(?:[-*+]\s+)?(?:\*\*|__)?([A-Za-z][A-Za-z ]{1,24}?)(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.+?)\s*$/
const HEADER_SCAN_LINES = 12

/**
 * "Version: 3.2"-style lines among the first lines of a document, before its first section:
 * the title and blank lines may come first, and any other line there is skipped.
 */
export function headerFields (markdown: string): Fields {
  const fields: Fields = {}
  let seen = 0
  let headings = 0
  for (const raw of markdown.split('\n')) {
    const line = raw.trim()
    if (line === '') continue
    if (++seen > HEADER_SCAN_LINES) break
    if (line.startsWith('#')) {
      if (++headings > 1) break
      continue
    }
    const match = HEADER_LINE.exec(line)
    const field = match === null ? undefined : HEADER_LABELS[(match[1] ?? '').trim().toLowerCase()]
    if (field !== undefined && fields[field] === undefined) fields[field] = (match?.[2] ?? '').replace(/(\*\*|__)$/, '').trim()
  }
  return fields
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december']
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const DAY_MONTH_YEAR = /^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})$/
const MONTH_DAY_YEAR = /^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$/

/** `2026-01-01`, `1 January 2026` or `January 1, 2026` as `2026-01-01`; undefined when not a calendar date. */
export function parseDate (value: string): string | undefined {
  const text = value.trim()
  let parts: [number, number, number] | undefined
  const iso = ISO_DATE.exec(text)
  const dmy = DAY_MONTH_YEAR.exec(text)
  const mdy = MONTH_DAY_YEAR.exec(text)
  if (iso !== null) parts = [Number(iso[1]), Number(iso[2]), Number(iso[3])]
  else if (dmy !== null) parts = [Number(dmy[3]), month(dmy[2] ?? ''), Number(dmy[1])]
  else if (mdy !== null) parts = [Number(mdy[3]), month(mdy[1] ?? ''), Number(mdy[2])]
  if (parts === undefined || parts[1] === 0) return undefined
  const [y, m, d] = parts
  const date = new Date(Date.UTC(y, m - 1, d))
  const result = date.toISOString().slice(0, 10)
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d ? result : undefined
}

/** 1-12, or 0 for a word that is no month (three-letter abbreviations count). */
function month (word: string): number {
  const w = word.toLowerCase()
  if (w.length < 3) return 0
  return MONTHS.findIndex((m) => m === w || (w.length === 3 && m.startsWith(w))) + 1
}

/** A stable kebab-case id from a file name: `Paid Time Off (v3).pdf` → `paid-time-off-v3`. */
export function idFromFileName (file: string): string {
  const stem = file.replace(/\.[^.]+$/, '')
  return stem.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
}

/** `paid_time-off.pdf` → `Paid time off`: the last resort for a title. */
export function titleFromFileName (file: string): string {
  const words = file.replace(/\.[^.]+$/, '').replace(/[-_]+/g, ' ').replace(/\s+/g, ' ').trim()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** The text of the first Markdown heading, outside code fences. */
export function firstHeading (markdown: string): string | undefined {
  let fenced = false
  for (const line of markdown.split('\n')) {
    if (/^[ \t]{0,3}(`{3,}|~{3,})/.test(line)) fenced = !fenced
    if (fenced) continue
    const match = /^#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line)
    const text = match?.[1]?.replace(/\*\*|__|`/g, '').trim()
    if (text !== undefined && text !== '') return text
  }
  return undefined
}
