import Database from 'better-sqlite3'
import { statSync } from 'node:fs'
import * as sqliteVec from 'sqlite-vec'
import { toFtsQuery } from './fts-query.js'
import { vocabularyOf } from './terms.js'
import type { VectorStoreState } from '../../schemas/health.js'
import { ModelMismatchError } from '../errors.js'
import { scaleInt8 } from '../embedding/l2.js'
import { IndexMetaError, missingTables, readMeta, SCHEMA_VERSION, decodeUnitVector, unitTextKey, type IndexMeta } from './index-schema.js'

export type { IndexMeta } from './index-schema.js'


export interface ChunkHit {
  chunk_id: string
  document_id: string
  document_title: string
  category: string
  heading: string
  text: string
  /** The document's version, effective date and source, where the policy states them: citations carry them. */
  version: string | null
  effective_date: string | null
  source_url: string | null
  /** 1-based position in this result list. */
  rank: number
  /** Vector search: cosine similarity (1 - distance). Keyword search: -bm25 (higher is better). */
  score: number
}

export interface ChunkRecord extends Omit<ChunkHit, 'rank' | 'score'> {
  ordinal: number
  start: number
  end: number
}

export interface SearchFilters {
  category?: string
  document_id?: string
}

export interface DocumentSummary {
  id: string
  title: string
  category: string
  effective_date: string | null
  version: string | null
  owner: string | null
  review_date: string | null
  source_url: string | null
  chunk_count: number
}

export interface DocumentDetail extends DocumentSummary {
  markdown: string
}

export interface VectorStore {
  readonly meta: IndexMeta
  readonly path: string
  /** `model_mismatch` when opened with an expected fingerprint other than the index's. */
  readonly status: Exclude<VectorStoreState, 'unavailable'>
  vectorSearch(vector: Float32Array, k: number, filters?: SearchFilters): ChunkHit[]
  /** `phrases` are searched too, each as a phrase (see toFtsQuery). */
  keywordSearch(query: string, k: number, filters?: SearchFilters, phrases?: readonly string[]): ChunkHit[]
  listDocuments(): DocumentSummary[]
  /** The distinct categories of the documents, sorted: what a category filter may name. */
  categories(): string[]
  getDocument(id: string): DocumentDetail | undefined
  getChunk(id: string): ChunkRecord | undefined
  /** Every passage, in index order. */
  listChunks(): ChunkRecord[]
  /** The lower-cased words the policies use. */
  vocabulary(): ReadonlySet<string>
  /** Stored vectors of answer-unit texts (see lib/answer/answer-units), undefined where the index has none. */
  unitVectors(texts: readonly string[]): Array<Float32Array | undefined>
  /** Every stored unit vector in one int8 matrix; undefined without unit vectors or above MAX_CACHED_UNITS of them. */
  unitMatrix(): UnitMatrix | undefined
  close(): void
}

/** The stored unit vectors, row by row as int8 (row × its step is the vector), and the row of each unit text's key. */
export interface UnitMatrix {
  readonly matrix: Int8Array
  readonly steps: Float32Array
  readonly dimensions: number
  readonly rowOf: ReadonlyMap<string, number>
}

export interface OpenOptions {
  /** `modelFingerprint(card)` of the embedder that will produce query vectors. */
  expectedFingerprint?: string
}

export class VectorStoreError extends Error {
  readonly code: string
  readonly path: string

  constructor (code: string, path: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.path = path
  }
}

export class IndexNotFoundError extends VectorStoreError {
  constructor (path: string, cause?: unknown) {
    super('INDEX_NOT_FOUND', path, `index file not found: ${path} (build it with npm run index:build)`, { cause })
  }
}

export class IndexCorruptError extends VectorStoreError {
  constructor (path: string, detail: string, cause?: unknown) {
    super('INDEX_CORRUPT', path, `index file is not a readable SQLite database: ${path} (${detail})`, { cause })
  }
}

export class IndexSchemaError extends VectorStoreError {
  constructor (path: string, detail: string, cause?: unknown) {
    super('INDEX_SCHEMA', path, `index file has the wrong schema: ${path} (${detail}); rebuild it with npm run index:build`, { cause })
  }
}

/** Column weights for bm25(): heading, then text. */
export const BM25_WEIGHTS = { heading: 2, text: 1 } as const

export const MAX_K = 1000

/** Unit vectors a store keeps in memory (int8, about 0.5 KB each at 512 dimensions); above this many each is read as asked. */
export const MAX_CACHED_UNITS = 4096

export function checkModel (meta: IndexMeta, fingerprint: string): 'operational' | 'model_mismatch' {
  return meta.embedding_fingerprint === fingerprint ? 'operational' : 'model_mismatch'
}

export function openVectorStore (path: string, options: OpenOptions = {}): VectorStore {
  checkFile(path)
  let db: Database.Database
  try {
    db = new Database(path, { readonly: true, fileMustExist: true })
  } catch (err) {
    throw classify(path, err)
  }
  try {
    sqliteVec.load(db)
    const meta = validate(db, path)
    return createStore(db, path, meta, options.expectedFingerprint)
  } catch (err) {
    db.close()
    throw err instanceof VectorStoreError ? err : classify(path, err)
  }
}

function checkFile (path: string): void {
  let isFile: boolean
  try {
    isFile = statSync(path).isFile()
  } catch (err) {
    throw new IndexNotFoundError(path, err)
  }
  if (!isFile) throw new IndexCorruptError(path, 'not a regular file')
}

function classify (path: string, err: unknown): VectorStoreError {
  const code = (err as { code?: unknown }).code
  const message = err instanceof Error ? err.message : String(err)
  if (code === 'SQLITE_CANTOPEN') return new IndexNotFoundError(path, err)
  if (err instanceof IndexMetaError) return new IndexSchemaError(path, message, err)
  if (typeof code === 'string' && /^SQLITE_(NOTADB|CORRUPT)/.test(code)) return new IndexCorruptError(path, message, err)
  if (code === 'SQLITE_ERROR') return new IndexSchemaError(path, message, err)
  return new IndexCorruptError(path, message, err)
}

function validate (db: Database.Database, path: string): IndexMeta {
  const check = db.pragma('quick_check', { simple: true })
  if (check !== 'ok') throw new IndexCorruptError(path, `quick_check: ${String(check)}`)
  const missing = missingTables(db)
  if (missing.length > 0) throw new IndexSchemaError(path, `missing tables: ${missing.join(', ')}`)
  const meta = readMeta(db)
  if (meta.schema_version !== SCHEMA_VERSION) {
    throw new IndexSchemaError(path, `schema version ${meta.schema_version}, this service reads version ${SCHEMA_VERSION}`)
  }
  const counts = db.prepare('SELECT (SELECT count(*) FROM chunks) AS chunks, (SELECT count(*) FROM chunks_vec) AS vectors')
    .get() as { chunks: number, vectors: number }
  if (counts.chunks === 0 || counts.chunks !== counts.vectors) {
    throw new IndexSchemaError(path, `${counts.chunks} chunks but ${counts.vectors} vectors`)
  }
  return meta
}

/** A row of a search statement: the hit's fields, and the raw distance or bm25 it is ranked by. */
type HitRow = Omit<ChunkHit, 'rank' | 'score'> & { value: number }

const HIT_COLUMNS = 'c.id AS chunk_id, c.document_id, d.title AS document_title, d.category, c.heading, c.text, d.version, ' +
  'd.effective_date, d.source_url'
const SUMMARY_COLUMNS = 'd.id, d.title, d.category, d.effective_date, d.version, d.owner, d.review_date, d.source_url, ' +
  '(SELECT count(*) FROM chunks c WHERE c.document_id = d.id) AS chunk_count'

function vectorSql (filter: string): string {
  return `SELECT ${HIT_COLUMNS}, v.distance AS value
    FROM (SELECT chunk_rowid, distance FROM chunks_vec WHERE embedding MATCH ? AND k = ? ${filter}) v
    JOIN chunks c ON c.rowid = v.chunk_rowid JOIN documents d ON d.id = c.document_id
    ORDER BY v.distance, c.rowid`
}

function prepareStatements (db: Database.Database) {
  const units = hasTable(db, 'unit_vectors')
  return {
    vector: db.prepare<[Buffer, number], HitRow>(vectorSql('')),
    vectorByCategory: db.prepare<[Buffer, number, string], HitRow>(vectorSql('AND category = ?')),
    vectorByDocument: db.prepare<[Buffer, number, string], HitRow>(vectorSql('AND document_id = ?')),
    vectorByBoth: db.prepare<[Buffer, number, string, string], HitRow>(vectorSql('AND category = ? AND document_id = ?')),
    keyword: db.prepare<{ query: string, k: number, category: string | null, document_id: string | null }, HitRow>(
      `SELECT ${HIT_COLUMNS}, bm25(chunks_fts, ${BM25_WEIGHTS.heading}, ${BM25_WEIGHTS.text}) AS value
      FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid JOIN documents d ON d.id = c.document_id
      WHERE chunks_fts MATCH @query AND (@category IS NULL OR d.category = @category)
        AND (@document_id IS NULL OR c.document_id = @document_id)
      ORDER BY value, c.rowid LIMIT @k`),
    // Unfiltered, the best k are chosen before the join: joining (and copying the text of) every
    // matching chunk first made each keyword search about 1.7x slower, since an OR of common words
    // and their synonyms matches most of the corpus.
    keywordTop: db.prepare<{ query: string, k: number }, HitRow>(
      `SELECT ${HIT_COLUMNS}, f.value
      FROM (SELECT rowid, bm25(chunks_fts, ${BM25_WEIGHTS.heading}, ${BM25_WEIGHTS.text}) AS value
        FROM chunks_fts WHERE chunks_fts MATCH @query ORDER BY value, rowid LIMIT @k) f
      JOIN chunks c ON c.rowid = f.rowid JOIN documents d ON d.id = c.document_id
      ORDER BY f.value, c.rowid`),
    markdown: db.prepare<[], { markdown: string }>('SELECT markdown FROM documents'),
    documents: db.prepare<[], DocumentSummary>(`SELECT ${SUMMARY_COLUMNS} FROM documents d ORDER BY d.id`),
    categories: db.prepare<[], { category: string }>('SELECT DISTINCT category FROM documents ORDER BY category'),
    document: db.prepare<[string], DocumentDetail>(`SELECT ${SUMMARY_COLUMNS}, d.markdown FROM documents d WHERE d.id = ?`),
    unitVector: units ? db.prepare<[string], { embedding: Buffer }>('SELECT embedding FROM unit_vectors WHERE key = ?') : null,
    unitCount: units ? db.prepare<[], { n: number }>('SELECT count(*) AS n FROM unit_vectors') : null,
    unitRows: units ? db.prepare<[], { key: string, embedding: Buffer }>('SELECT key, embedding FROM unit_vectors') : null,
    chunk: db.prepare<[string], ChunkRecord>(`SELECT ${HIT_COLUMNS}, c.ordinal, c.start, c."end" AS "end"
      FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ?`),
    chunks: db.prepare<[], ChunkRecord>(`SELECT ${HIT_COLUMNS}, c.ordinal, c.start, c."end" AS "end"
      FROM chunks c JOIN documents d ON d.id = c.document_id ORDER BY c.rowid`)
  }
}

function createStore (db: Database.Database, path: string, meta: IndexMeta, expected: string | undefined): VectorStore {
  const sql = prepareStatements(db)
  const status = expected === undefined ? 'operational' : checkModel(meta, expected)
  const categories = sql.categories.all().map((r) => r.category)
  let vocabulary: Set<string> | undefined
  let units: UnitMatrix | undefined | null = null
  const unitMatrix = (): UnitMatrix | undefined => {
    if (units === null) units = status === 'operational' ? readUnitMatrix(sql, meta.embedding_dimensions) : undefined
    return units
  }
  const toHits = (rows: HitRow[], score: (value: number) => number): ChunkHit[] =>
    rows.map(({ value, ...row }, index) => ({ ...row, rank: index + 1, score: score(value) }))
  return {
    meta,
    path,
    status,
    vectorSearch (vector, k, filters = {}) {
      if (status === 'model_mismatch') throw new ModelMismatchError()
      if (vector.length !== meta.embedding_dimensions) {
        throw new RangeError(`query vector has ${vector.length} dimensions, the index has ${meta.embedding_dimensions}`)
      }
      const blob = Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength)
      const n = checkK(k)
      const { category, document_id: documentId } = filters
      const rows = category !== undefined && documentId !== undefined
        ? sql.vectorByBoth.all(blob, n, category, documentId)
        : category !== undefined
          ? sql.vectorByCategory.all(blob, n, category)
          : documentId !== undefined
            ? sql.vectorByDocument.all(blob, n, documentId)
            : sql.vector.all(blob, n)
      return toHits(rows, (distance) => 1 - distance)
    },
    keywordSearch (text, k, filters = {}, phrases = []) {
      const query = toFtsQuery(text, phrases)
      if (query === null) return []
      const { category, document_id: documentId } = filters
      const rows = category === undefined && documentId === undefined
        ? sql.keywordTop.all({ query, k: checkK(k) })
        : sql.keyword.all({ query, k: checkK(k), category: category ?? null, document_id: documentId ?? null })
      return toHits(rows, (bm25) => -bm25)
    },
    listDocuments: () => sql.documents.all(),
    categories: () => [...categories],
    getDocument: (id) => sql.document.get(id),
    getChunk: (id) => sql.chunk.get(id),
    listChunks: () => sql.chunks.all(),
    vocabulary () {
      vocabulary ??= vocabularyOf(sql.markdown.all().map((row) => row.markdown))
      return vocabulary
    },
    unitVectors (texts) {
      const table = unitMatrix()
      const statement = sql.unitVector
      if (table !== undefined) return texts.map((text) => unitRow(table, table.rowOf.get(unitTextKey(text))))
      if (statement === null || status !== 'operational') return texts.map(() => undefined)
      return texts.map((text) => {
        const row = statement.get(unitTextKey(text))
        return row === undefined ? undefined : decodeUnitVector(row.embedding)
      })
    },
    unitMatrix,
    close: () => { db.close() }
  }
}

/**
 * All unit vectors in one matrix, as stored (int8 and a step per row): read by every hybrid search, a quarter of the
 * memory of floats. An answer's few dozen units are turned into floats as it asks for them.
 */
function readUnitMatrix (sql: ReturnType<typeof prepareStatements>, dimensions: number): UnitMatrix | undefined {
  const count = sql.unitCount?.get()?.n ?? 0
  if (sql.unitRows === null || count === 0 || count > MAX_CACHED_UNITS) return undefined
  const matrix = new Int8Array(count * dimensions)
  const steps = new Float32Array(count)
  const rowOf = new Map<string, number>()
  for (const { key, embedding } of sql.unitRows.iterate()) {
    const row = rowOf.size
    if (embedding.length !== dimensions + 4) {
      throw new RangeError(`unit vector ${key} has ${embedding.length - 4} dimensions, not ${dimensions}`)
    }
    matrix.set(new Int8Array(embedding.buffer, embedding.byteOffset + 4, dimensions), row * dimensions)
    steps[row] = embedding.readFloatLE(0)
    rowOf.set(key, row)
  }
  return { matrix, steps, dimensions, rowOf }
}

function unitRow (table: UnitMatrix, row: number | undefined): Float32Array | undefined {
  const d = table.dimensions
  return row === undefined ? undefined : scaleInt8(table.matrix.subarray(row * d, (row + 1) * d), table.steps[row] as number)
}

function hasTable (db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined
}

function checkK (k: number): number {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new RangeError(`k must be an integer from 1 to ${MAX_K}, got ${k}`)
  return k
}

/** Every policy's title and Markdown, as the guardrails' corpus banks and vocabulary read them. */
export function policyDocuments (store: VectorStore): Array<{ title: string, markdown: string }> {
  return store.listDocuments().map((d) => ({ title: d.title, markdown: store.getDocument(d.id)?.markdown ?? '' }))
}
