import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { CorpusError, isFieldName, type Fields } from './fields.js'

/**
 * `corpus.json`, all of it optional:
 * `{"categories": [...], "default_category": "...", "documents": {"leave.pdf": {"version": "3.2", ...}}}`.
 * Without `categories` a category is free text; `documents` gives files that cannot carry front
 * matter (PDF, Word) their fields.
 */
export interface CorpusConfig {
  categories?: string[]
  default_category?: string
  documents: Record<string, Fields>
}

/** Categories: at most this long (the /search filter accepts no longer). */
export const CATEGORY_MAX_CHARS = 64
/** The category of a policy that names none, when no list and no default are configured. */
export const FALLBACK_CATEGORY = 'general'

const KEYS = ['categories', 'default_category', 'documents']

/** Reads and checks a corpus.json; `source` is its text when already read. */
export function parseCorpusConfig (source: string, path: string): CorpusConfig {
  const name = basename(path)
  let value: unknown
  try {
    value = JSON.parse(source)
  } catch (err) {
    throw new CorpusError(name, `is not valid JSON (${(err as Error).message})`)
  }
  if (!isObject(value)) throw new CorpusError(name, 'must be a JSON object')
  for (const key of Object.keys(value)) {
    if (!KEYS.includes(key)) throw new CorpusError(name, `unknown key "${key}" (allowed: ${KEYS.join(', ')})`)
  }
  const config: CorpusConfig = { documents: {} }
  if (value.categories !== undefined) config.categories = checkCategories(value.categories, name)
  if (value.default_category !== undefined) {
    if (typeof value.default_category !== 'string' || value.default_category.trim() === '') throw new CorpusError(
      name,
      '"default_category" must be a non-empty string'
    )
    config.default_category = value.default_category.trim()
  }
  if (value.documents !== undefined) config.documents = checkDocuments(value.documents, name)
  return config
}

export function readCorpusConfig (path: string): { config: CorpusConfig, source: string } {
  const source = readFileSync(path, 'utf8')
  return { config: parseCorpusConfig(source, path), source }
}

/** `--categories hr,finance` as a list. */
export function parseCategoryList (text: string): string[] {
  return checkCategories(text.split(',').map((c) => c.trim()).filter((c) => c !== ''), '--categories')
}

function checkCategories (value: unknown, name: string): string[] {
  const ok = Array.isArray(value) && value.length > 0 &&
    value.every((c) => typeof c === 'string' && c.trim() !== '' && c.length <= CATEGORY_MAX_CHARS)
  if (!ok) throw new CorpusError(name, `"categories" must be a non-empty list of names of 1-${CATEGORY_MAX_CHARS} characters`)
  return [...new Set((value as string[]).map((c) => c.trim()))]
}

function checkDocuments (value: unknown, name: string): Record<string, Fields> {
  if (!isObject(value)) throw new CorpusError(name, '"documents" must map file names to their fields')
  const documents: Record<string, Fields> = {}
  for (const [file, fields] of Object.entries(value)) {
    if (!isObject(fields)) throw new CorpusError(name, `"documents"."${file}" must be an object of fields`)
    const checked: Fields = {}
    for (const [key, field] of Object.entries(fields)) {
      if (!isFieldName(key) || key === 'id') throw new CorpusError(name, `"documents"."${file}": unknown field "${key}"`)
      if (typeof field !== 'string') throw new CorpusError(name, `"documents"."${file}"."${key}" must be a string`)
      checked[key] = field
    }
    documents[file] = checked
  }
  return documents
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
