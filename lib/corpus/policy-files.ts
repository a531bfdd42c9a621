/**
 * Reads a folder of policies (Markdown, text, HTML, PDF, Word) into documents with their fields.
 * A field comes from the file's own front matter (or HTML `<meta>`), else corpus.json's entry for
 * the file, else "Version: 3.2"-style lines at the top of the document. The title falls back to the
 * first heading, then the PDF/Word/HTML metadata title, then the file name; the id is always the
 * file name in kebab-case. Every problem names the file and the reason.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { extname, join } from 'node:path'
import { CATEGORY_MAX_CHARS, FALLBACK_CATEGORY, readCorpusConfig, type CorpusConfig } from './config.js'
import {
  CorpusError,
  firstHeading,
  headerFields,
  idFromFileName,
  parseDate,
  splitFrontMatter,
  titleFromFileName,
  type FieldName,
  type Fields
} from './fields.js'

export { CorpusError } from './fields.js'

export interface PolicyDocument {
  id: string
  title: string
  category: string
  owner: string | null
  effective_date: string | null
  version: string | null
  review_date: string | null
  source_url: string | null
  /** File name inside the corpus folder, e.g. `pto-policy.md`. */
  file: string
  /** The policy as Markdown (front matter removed); chunk offsets index into this string. */
  markdown: string
}

export interface SkippedFile { file: string, reason: string }

export interface Corpus {
  documents: PolicyDocument[]
  /** sha256 over corpus.json and every document's file name and content, in sorted order. */
  sha256: string
  /** Files left out by `keepGoing`, with why. */
  skipped: SkippedFile[]
}

export interface ReadCorpusOptions {
  /** corpus.json (categories, per-file fields); default: `corpus.json` in the folder, when there is one. */
  configPath?: string
  /** The allowed categories; overrides corpus.json's list. */
  categories?: string[]
  /** Skip files that cannot be read (listed in `skipped`) instead of failing. */
  keepGoing?: boolean
  maxFileBytes?: number
}

/** One or more files could not be read: one line per file, naming it and the reason. */
export class CorpusReadError extends Error {
  override name = 'CorpusReadError'
  readonly problems: SkippedFile[]

  constructor (problems: SkippedFile[]) {
    super(problems.map((p) => `${p.file}: ${p.reason}`).join('\n'))
    this.problems = problems
  }
}

export const CONFIG_FILE = 'corpus.json'
export const SUPPORTED_EXTENSIONS = ['.md', '.markdown', '.txt', '.html', '.htm', '.pdf', '.docx'] as const
export const DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024

interface Extracted {
  markdown: string
  /** Fields the file states itself: front matter or HTML meta. */
  fields: Fields
  /** The PDF, Word or HTML metadata title. */
  metaTitle?: string
  /** What the corpus hash covers: the normalised text, or the bytes of a binary format. */
  hashed: string | Buffer
}

/** CRLF and a BOM would make the same corpus hash differently on another checkout. */
export function normaliseSource (source: string): string {
  return source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
}

/** A Markdown (or text) policy from its source, with the default settings. */
export function parseDocument (source: string, file: string, config: CorpusConfig = { documents: {} }): PolicyDocument {
  return resolveDocument(file, extractText(normaliseSource(source), file), config)
}

/** Code-point order, so the result never depends on the machine's locale. */
function byCodePoint (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export async function readCorpus (dir: string, options: ReadCorpusOptions = {}): Promise<Corpus> {
  const names = listFiles(dir)
  const { config, source } = loadConfig(dir, options)
  const hash = createHash('sha256')
  if (source !== undefined) hash.update(`${CONFIG_FILE}\0${Buffer.byteLength(source)}\0`).update(source)
  const documents: PolicyDocument[] = []
  const problems: SkippedFile[] = []
  const owners = new Map<string, string>()
  for (const name of names) {
    try {
      const extracted = await extractFile(join(dir, name), name, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES)
      const doc = resolveDocument(name, extracted, config)
      const owner = owners.get(doc.id)
      if (owner !== undefined) throw new CorpusError(name, `duplicate id "${doc.id}" (${owner} has it too; rename one of them)`)
      owners.set(doc.id, name)
      hash.update(`${name}\0${extracted.hashed.length}\0`).update(extracted.hashed)
      documents.push(doc)
    } catch (err) {
      if (!(err instanceof CorpusError)) throw err
      problems.push({ file: name, reason: err.message.slice(name.length + 2) })
    }
  }
  if (problems.length > 0 && options.keepGoing !== true) throw new CorpusReadError(problems)
  if (documents.length === 0) throw new CorpusError(dir, 'no policy could be read from the folder')
  return { documents, sha256: hash.digest('hex'), skipped: problems }
}

function listFiles (dir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.startsWith('.') && e.name !== CONFIG_FILE)
      .map((e) => e.name).sort(byCodePoint)
  } catch (err) {
    throw new CorpusError(dir, `cannot read the corpus folder: ${(err as Error).message}`)
  }
  if (names.length === 0) throw new CorpusError(dir, `the corpus folder has no policy files (${SUPPORTED_EXTENSIONS.join(', ')})`)
  return names
}

function loadConfig (dir: string, options: ReadCorpusOptions): { config: CorpusConfig, source?: string } {
  const path = options.configPath ?? join(dir, CONFIG_FILE)
  const found = options.configPath !== undefined || existsSync(path)
  let loaded: { config: CorpusConfig, source?: string } = { config: { documents: {} } }
  if (found) {
    try {
      loaded = readCorpusConfig(path)
    } catch (err) {
      if (err instanceof CorpusError) throw err
      throw new CorpusError(path, `cannot read it: ${(err as Error).message}`)
    }
  }
  if (options.categories === undefined) return loaded
  const source = `${loaded.source ?? ''}\0--categories\0${options.categories.join(',')}`
  return { config: { ...loaded.config, categories: options.categories }, source }
}

async function extractFile (path: string, file: string, maxBytes: number): Promise<Extracted> {
  const ext = extname(file).toLowerCase()
  if (!(SUPPORTED_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new CorpusError(file, `unsupported file type "${ext || '(none)'}" (supported: ${SUPPORTED_EXTENSIONS.join(', ')})`)
  }
  const bytesOnDisk = statSync(path).size
  if (bytesOnDisk > maxBytes) throw new CorpusError(file, `is ${size(bytesOnDisk)}, over the ${size(maxBytes)} limit (--max-file-mb)`)
  const bytes = readFileSync(path)
  // The converters load only for folders that hold their format: mammoth alone takes a third of a second.
  try {
    if (ext === '.pdf') {
      const { pdfToMarkdown } = await import('./pdf.js')
      const pdf = await pdfToMarkdown(bytes)
      return { markdown: pdf.markdown, fields: {}, ...(pdf.title ? { metaTitle: pdf.title } : {}), hashed: bytes }
    }
    if (ext === '.docx') {
      const { docxToMarkdown } = await import('./docx.js')
      const docx = await docxToMarkdown(bytes)
      return { markdown: docx.markdown, fields: {}, ...(docx.title ? { metaTitle: docx.title } : {}), hashed: bytes }
    }
  } catch (err) {
    if ((err as Error).name === 'PdfError') throw new CorpusError(file, (err as Error).message)
    throw new CorpusError(file, `is not a readable ${ext === '.pdf' ? 'PDF' : 'Word (.docx) file'} (${(err as Error).message})`)
  }
  const text = normaliseSource(bytes.toString('utf8'))
  if (ext === '.html' || ext === '.htm') {
    const { htmlToMarkdown } = await import('./html.js')
    const html = htmlToMarkdown(text)
    return { markdown: html.markdown, fields: html.fields, ...(html.title ? { metaTitle: html.title } : {}), hashed: text }
  }
  return extractText(text, file)
}

/** Markdown as it is; a text file's first line is its title when it reads like one. */
function extractText (text: string, file: string): Extracted {
  const { fields, body } = splitFrontMatter(text, file)
  const markdown = file.toLowerCase().endsWith('.txt') ? titleLine(body) : body
  return { markdown, fields, hashed: text }
}

function titleLine (body: string): string {
  const match = /^\s*([^\n]+)\n/.exec(body)
  const first = match?.[1]?.trim() ?? ''
  if (first === '' || first.startsWith('#') || first.length > 100 || /[.,;:!?]$/.test(first)) return body
  return `# ${first}\n${body.slice(match?.[0].length ?? 0)}`
}

function size (bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`
}

function resolveDocument (file: string, extracted: Extracted, config: CorpusConfig): PolicyDocument {
  const { markdown } = extracted
  if (markdown.trim() === '') throw new CorpusError(file, 'the document has no text')
  const configured = config.documents[file] ?? {}
  const header = headerFields(markdown)
  const pick = (field: FieldName): string | undefined =>
    [extracted.fields[field], configured[field], header[field]].map((v) => v?.trim()).find((v) => v !== undefined && v !== '')
  const id = idFromFileName(file)
  if (id === '') throw new CorpusError(file, 'the file name has no letters or digits to make an id from')
  const statedId = pick('id')
  if (statedId !== undefined && statedId !== id) throw new CorpusError(
    file,
    `must match the file name (expected "${id}", got ${JSON.stringify(statedId)})`,
    'id'
  )
  return {
    id,
    title: pick('title') ?? firstHeading(markdown) ?? extracted.metaTitle ?? titleFromFileName(file),
    category: checkCategory(pick('category'), config, file),
    owner: pick('owner') ?? null,
    effective_date: checkDate(pick('effective_date'), file, 'effective_date'),
    version: checkVersion(pick('version')),
    review_date: checkDate(pick('review_date'), file, 'review_date'),
    source_url: checkUrl(pick('source_url'), file),
    file,
    markdown
  }
}

function checkCategory (category: string | undefined, config: CorpusConfig, file: string): string {
  const allowed = config.categories
  const value = category ?? config.default_category ?? (allowed === undefined ? FALLBACK_CATEGORY : undefined)
  if (value === undefined) throw new CorpusError(
    file,
    `is required (one of ${allowed?.join(', ')}); set it in the file or in corpus.json`,
    'category'
  )
  if (allowed !== undefined && !allowed.includes(value)) {
    throw new CorpusError(
      file,
      `must be one of ${allowed.join(', ')} (the configured list: corpus.json or --categories), got ${JSON.stringify(value)}`,
      'category'
    )
  }
  if (value.length > CATEGORY_MAX_CHARS) throw new CorpusError(file, `must be at most ${CATEGORY_MAX_CHARS} characters`, 'category')
  return value
}

function checkDate (value: string | undefined, file: string, field: string): string | null {
  if (value === undefined) return null
  const date = parseDate(value)
  if (date === undefined) throw new CorpusError(
    file,
    `must be a calendar date (2026-01-01 or 1 January 2026), got ${JSON.stringify(value)}`,
    field
  )
  return date
}

/** "v3.2" and "Version 3.2" are version 3.2: answers print it as "v3.2". */
function checkVersion (value: string | undefined): string | null {
  return value === undefined ? null : value.replace(/^(?:v|version)\s*(?=\d)/i, '')
}

function checkUrl (value: string | undefined, file: string): string | null {
  if (value === undefined) return null
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {}
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new CorpusError(file, `must be an http(s) URL, got ${JSON.stringify(value)}`, 'source_url')
  }
  return url.href
}
