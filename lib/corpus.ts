import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'

export const CATEGORIES = ['hr', 'workplace', 'finance', 'conduct', 'it-security', 'privacy', 'safety'] as const
export type Category = (typeof CATEGORIES)[number]

export const FRONT_MATTER_FIELDS = ['id', 'title', 'category', 'owner', 'effective_date', 'version'] as const
type FrontMatterField = (typeof FRONT_MATTER_FIELDS)[number]

export interface FrontMatter {
  id: string
  title: string
  category: Category
  owner: string
  effective_date: string
  version: string
}

export interface PolicyDocument extends FrontMatter {
  /** File name inside the corpus folder, e.g. `pto-policy.md`. */
  file: string
  /** The Markdown after the front matter; chunk offsets index into this string. */
  markdown: string
}

export interface Corpus {
  documents: PolicyDocument[]
  /** sha256 over every file name and its normalised content, in sorted order. */
  sha256: string
}

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

const ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/
const LINE_PATTERN = /^([a-z_]+):[ \t]*(.*)$/

/** CRLF and a BOM would make the same corpus hash differently on another checkout. */
export function normaliseSource (source: string): string {
  return source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
}

export function parseDocument (source: string, file: string): PolicyDocument {
  const text = normaliseSource(source)
  if (!text.startsWith('---\n')) throw new CorpusError(file, 'missing front matter (the file must start with a "---" line)')
  const close = text.indexOf('\n---\n', 3)
  const closeAtEnd = text.endsWith('\n---') ? text.length - 4 : -1
  const end = close >= 0 ? close : closeAtEnd
  if (end < 0) throw new CorpusError(file, 'front matter is not closed by a "---" line')
  const fields = parseFields(text.slice(4, end), file)
  const markdown = text.slice(Math.min(end + 5, text.length))
  if (markdown.trim() === '') throw new CorpusError(file, 'the document has no Markdown body')
  checkFileName(fields.id, file)
  return { ...fields, file, markdown }
}

function parseFields (block: string, file: string): FrontMatter {
  const values = new Map<string, string>()
  for (const line of block.split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue
    const match = LINE_PATTERN.exec(line)
    if (match === null) throw new CorpusError(file, `cannot parse front matter line ${JSON.stringify(line)} (expected "key: value")`)
    const key = match[1] ?? ''
    const raw = match[2] ?? ''
    if (!(FRONT_MATTER_FIELDS as readonly string[]).includes(key)) {
      throw new CorpusError(file, `unknown field (allowed: ${FRONT_MATTER_FIELDS.join(', ')})`, key)
    }
    if (values.has(key)) throw new CorpusError(file, 'appears twice', key)
    values.set(key, unquote(raw.trim(), file, key))
  }
  const get = (field: FrontMatterField): string => {
    const value = values.get(field)
    if (value === undefined || value === '') throw new CorpusError(file, 'is required and must not be empty', field)
    return value
  }
  return {
    id: checkId(get('id'), file),
    title: get('title'),
    category: checkCategory(get('category'), file),
    owner: get('owner'),
    effective_date: checkDate(get('effective_date'), file),
    version: get('version')
  }
}

function unquote (value: string, file: string, field: string): string {
  const quote = value[0]
  if (quote !== '"' && quote !== "'") return value
  if (value.length < 2 || value[value.length - 1] !== quote) throw new CorpusError(file, 'has an unterminated quote', field)
  const inner = value.slice(1, -1)
  return quote === "'" ? inner.replaceAll("''", "'") : inner.replaceAll('\\"', '"').replaceAll('\\\\', '\\')
}

function checkId (id: string, file: string): string {
  if (!ID_PATTERN.test(id)) throw new CorpusError(file, `must be kebab-case (a-z, 0-9, single hyphens), got ${JSON.stringify(id)}`, 'id')
  return id
}

function checkCategory (category: string, file: string): Category {
  const known = CATEGORIES.find((c) => c === category)
  if (known === undefined) throw new CorpusError(file, `must be one of ${CATEGORIES.join(', ')}, got ${JSON.stringify(category)}`, 'category')
  return known
}

function checkDate (date: string, file: string): string {
  const match = DATE_PATTERN.exec(date)
  const parsed = match === null ? undefined : new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
  if (parsed === undefined || parsed.toISOString().slice(0, 10) !== date) {
    throw new CorpusError(file, `must be a calendar date YYYY-MM-DD, got ${JSON.stringify(date)}`, 'effective_date')
  }
  return date
}

/** Ids then are unique because file names are. */
function checkFileName (id: string, file: string): void {
  const stem = basename(file).replace(/\.md$/, '')
  if (stem !== id) throw new CorpusError(file, `must match the file name (expected "${stem}")`, 'id')
}

/** Code-point order, so the result never depends on the machine's locale. */
function byCodePoint (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function readCorpus (dir: string): Corpus {
  let names: string[]
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.md')).sort(byCodePoint)
  } catch (err) {
    throw new CorpusError(dir, `cannot read the corpus folder: ${(err as Error).message}`)
  }
  if (names.length === 0) throw new CorpusError(dir, 'the corpus folder has no .md files')
  const hash = createHash('sha256')
  const documents = names.map((name) => {
    const source = normaliseSource(readFileSync(join(dir, name), 'utf8'))
    hash.update(`${name}\0${Buffer.byteLength(source)}\0`).update(source)
    return parseDocument(source, name)
  })
  return { documents, sha256: hash.digest('hex') }
}
