import type Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import type { ChunkerParams } from '../corpus/chunking.js'
import { quantizeInt8, scaleInt8 } from '../embedding/l2.js'

/** Bump when tables or their meaning change; readers refuse other versions. */
export const SCHEMA_VERSION = 2

/** vec0 allocates vectors in blocks of this many rows; the default (1024) would pad a ~100-chunk index to 2 MB. */
export const VEC_CHUNK_SIZE = 128

export const FTS_TOKENIZER = 'porter unicode61 remove_diacritics 2'

export const REQUIRED_TABLES = ['meta', 'documents', 'chunks', 'chunks_fts', 'chunks_vec'] as const

export interface IndexMeta {
  schema_version: number
  embedding_model_id: string
  embedding_dimensions: number
  embedding_model_sha256: string
  /** `modelFingerprint(card)` of the model that embedded the chunks. */
  embedding_fingerprint: string
  chunker_params: ChunkerParams
  corpus_sha256: string
}

export function schemaStatements (dimensions: number): string[] {
  if (!Number.isInteger(dimensions) || dimensions <= 0) throw new RangeError(`invalid embedding dimensions ${dimensions}`)
  return [
    'CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID',
    `CREATE TABLE documents (
      id TEXT PRIMARY KEY, title TEXT NOT NULL, category TEXT NOT NULL, owner TEXT,
      effective_date TEXT, version TEXT, markdown TEXT NOT NULL, review_date TEXT, source_url TEXT
    ) WITHOUT ROWID`,
    `CREATE TABLE chunks (
      rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, document_id TEXT NOT NULL REFERENCES documents(id),
      ordinal INTEGER NOT NULL, heading TEXT NOT NULL, text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
      UNIQUE (document_id, ordinal)
    )`,
    `CREATE VIRTUAL TABLE chunks_fts USING fts5(heading, text, content='chunks', content_rowid='rowid', tokenize='${FTS_TOKENIZER}')`,
    // The vectors of the passages' answer units (lib/answer/answer-units), keyed by unitTextKey(text): the
    // extractive answerer then embeds only the question. Optional: without it units are embedded at answer time.
    'CREATE TABLE unit_vectors (key TEXT PRIMARY KEY, embedding BLOB NOT NULL) WITHOUT ROWID',
    `CREATE VIRTUAL TABLE chunks_vec USING vec0(
      chunk_rowid INTEGER PRIMARY KEY, embedding float[${dimensions}] distance_metric=cosine,
      category TEXT, document_id TEXT, chunk_size=${VEC_CHUNK_SIZE}
    )`
  ]
}

/** Every value is stored as text; JSON where it is not a plain string. */
export function metaRows (meta: IndexMeta): Array<[string, string]> {
  return [
    ['schema_version', String(meta.schema_version)],
    ['embedding_model_id', meta.embedding_model_id],
    ['embedding_dimensions', String(meta.embedding_dimensions)],
    ['embedding_model_sha256', meta.embedding_model_sha256],
    ['embedding_fingerprint', meta.embedding_fingerprint],
    ['chunker_params', JSON.stringify(meta.chunker_params)],
    ['corpus_sha256', meta.corpus_sha256]
  ]
}

export class IndexMetaError extends Error {
  override name = 'IndexMetaError'
}

/** Reads and checks the meta table; throws IndexMetaError naming the first bad key. */
export function readMeta (db: Database.Database): IndexMeta {
  const rows = db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string, value: string }>
  const values = new Map(rows.map((r) => [r.key, r.value]))
  const text = (key: string): string => {
    const value = values.get(key)
    if (value === undefined || value === '') throw new IndexMetaError(`index meta lacks "${key}"`)
    return value
  }
  const integer = (key: string): number => {
    const value = Number(text(key))
    if (!Number.isInteger(value) || value <= 0) throw new IndexMetaError(`index meta "${key}" is not a positive integer`)
    return value
  }
  return {
    schema_version: integer('schema_version'),
    embedding_model_id: text('embedding_model_id'),
    embedding_dimensions: integer('embedding_dimensions'),
    embedding_model_sha256: text('embedding_model_sha256'),
    embedding_fingerprint: text('embedding_fingerprint'),
    chunker_params: parseParams(text('chunker_params')),
    corpus_sha256: text('corpus_sha256')
  }
}

function parseParams (json: string): ChunkerParams {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw new IndexMetaError('index meta "chunker_params" is not JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new IndexMetaError('index meta "chunker_params" is not an object')
  }
  return value as ChunkerParams
}

/** Names of the required tables missing from an open database. */
export function missingTables (db: Database.Database): string[] {
  const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>
  const present = new Set(rows.map((r) => r.name))
  return REQUIRED_TABLES.filter((name) => !present.has(name))
}

/** The unit_vectors key of a unit's embedding text. */
export function unitTextKey (text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22)
}

/**
 * Unit vectors are stored as int8 with one float32 scale (516 bytes for 512 dimensions instead of 2048):
 * several fit a page, and the cosine to the float vector stays above 0.999, which only ranks sentences.
 */
export function encodeUnitVector (vector: Float32Array): Buffer {
  const out = Buffer.alloc(4 + vector.length)
  out.writeFloatLE(quantizeInt8(vector, new Int8Array(out.buffer, out.byteOffset + 4, vector.length)), 0)
  return out
}

export function decodeUnitVector (blob: Buffer): Float32Array {
  return scaleInt8(new Int8Array(blob.buffer, blob.byteOffset + 4, blob.length - 4), blob.readFloatLE(0))
}

