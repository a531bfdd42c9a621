/**
 * Builds the policy index from a folder of policies (.md, .txt, .html, .pdf, .docx): reads, chunks,
 * embeds, writes SQLite with FTS5 and sqlite-vec tables. The contents depend only on the corpus, the
 * chunker and the model: no timestamps, a stable order, VACUUM at the end. It writes a temporary file
 * beside the target, checks it, and renames it, so a failed build never leaves a broken index. Chunks
 * whose embedded texts are unchanged reuse the vectors of the index being replaced (each chunk is
 * embedded on its own, so a reused vector is the one a full build computes).
 */
import Database from 'better-sqlite3'
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import * as sqliteVec from 'sqlite-vec'
import { CHUNKER_PARAMS, chunkDocument, embeddingTexts, type Chunk, type ChunkerParams } from './chunking.js'
import { CONFIG_FILE, readCorpus, type PolicyDocument, type ReadCorpusOptions, type SkippedFile } from './policy-files.js'
import { chunkContentHash, openPreviousIndex, previousChunkVectors, previousUnitVectors, type VectorsByHash } from './previous-index.js'
import { modelFingerprint, type Embedder } from '../embedding/embedder.js'
import { passageUnitTexts } from '../answer/extractive.js'
import { metaRows, schemaStatements, SCHEMA_VERSION, encodeUnitVector, unitTextKey, type IndexMeta } from '../search/index-schema.js'
import { repoRoot } from '../paths.js'
import { openVectorStore } from '../search/vector-store.js'


export const defaultCorpusDir = join(repoRoot, 'index-data', 'policies')
/** The committed corpus's settings (its categories); a folder given with --docs reads its own corpus.json. */
export const defaultConfigPath = join(repoRoot, 'index-data', CONFIG_FILE)

export interface BuildIndexOptions {
  corpusDir: string
  outPath: string
  embedder: Pick<Embedder, 'card' | 'embed'>
  chunkerParams?: Readonly<ChunkerParams>
  /** Most texts per embedding call (a chunk's windows are embedded together, never with another chunk's). */
  batchSize?: number
  log?: (line: string) => void
  /** corpus.json; default: defaultConfigPath for the default corpus, else corpus.json in corpusDir if present. */
  configPath?: string
  categories?: string[]
  keepGoing?: boolean
  maxFileBytes?: number
  /** The index whose vectors may be reused (default: outPath as it is now); null for a full build. */
  previousPath?: string | null
}

export interface BuildReport {
  documents: number
  chunks: number
  bytes: number
  /** Files left out by keepGoing, with why. */
  skipped: SkippedFile[]
  /** Chunk vectors taken from the previous index, and computed. */
  vectors: { reused: number, embedded: number }
  /** The same for answer-unit vectors. */
  unit_vectors: { reused: number, embedded: number }
  timings_ms: { read: number, chunk: number, embed: number, write: number, total: number }
}

interface IndexContents {
  meta: IndexMeta
  documents: PolicyDocument[]
  chunks: Chunk[]
  vectors: Float32Array[]
  /** Answer-unit vectors by unitTextKey, in key order, encoded (encodeUnitVector). */
  unitVectors: Array<[string, Buffer]>
}

export async function buildIndex (options: BuildIndexOptions): Promise<BuildReport> {
  const log = options.log ?? (() => {})
  const params = options.chunkerParams ?? CHUNKER_PARAMS
  const { card } = options.embedder
  if (!(card.dimensions > 0)) throw new Error(`the embedding model is unavailable (card ${JSON.stringify(card.id)})`)
  const clock = stopwatch()

  const corpus = await readCorpus(options.corpusDir, corpusOptions(options))
  const read = clock()
  log(`corpus: ${corpus.documents.length} documents from ${options.corpusDir} (sha256 ${corpus.sha256.slice(0, 12)})`)
  for (const { file, reason } of corpus.skipped) log(`skipped ${file}: ${reason}`)

  const chunks = corpus.documents.flatMap((doc) => chunkDocument(doc, params))
  const chunk = clock()
  log(`chunks: ${chunks.length} (max ${params.maxTokens} estimated tokens, overlap ${params.overlapTokens})`)

  const reusable = previousVectors(options, modelFingerprint(card), params, log)
  const { vectors, reused } = await embedAll(options.embedder, chunks, params, reusable.chunks, options.batchSize ?? 64, log)
  const units = await embedUnits(options.embedder, chunks, reusable.units, log)
  const embed = clock()

  const meta: IndexMeta = {
    schema_version: SCHEMA_VERSION,
    embedding_model_id: card.id,
    embedding_dimensions: card.dimensions,
    embedding_model_sha256: card.model_sha256,
    embedding_fingerprint: modelFingerprint(card),
    chunker_params: { ...params },
    corpus_sha256: corpus.sha256
  }
  writeIndexAtomically(options.outPath, { meta, documents: corpus.documents, chunks, vectors, unitVectors: units.vectors })
  const write = clock()
  const bytes = statSync(options.outPath).size
  log(`wrote ${options.outPath} (${(bytes / 1024).toFixed(0)} KiB)`)
  return {
    documents: corpus.documents.length,
    chunks: chunks.length,
    bytes,
    skipped: corpus.skipped,
    vectors: { reused, embedded: chunks.length - reused },
    unit_vectors: { reused: units.reused, embedded: units.vectors.length - units.reused },
    timings_ms: { read, chunk, embed, write, total: read + chunk + embed + write }
  }
}

function corpusOptions (options: BuildIndexOptions): ReadCorpusOptions {
  const configPath = options.configPath ?? (resolve(options.corpusDir) === defaultCorpusDir ? defaultConfigPath : undefined)
  return {
    ...(configPath === undefined ? {} : { configPath }),
    ...(options.categories === undefined ? {} : { categories: options.categories }),
    ...(options.keepGoing === undefined ? {} : { keepGoing: options.keepGoing }),
    ...(options.maxFileBytes === undefined ? {} : { maxFileBytes: options.maxFileBytes })
  }
}

function previousVectors (options: BuildIndexOptions, fingerprint: string, params: Readonly<ChunkerParams>,
  log: (line: string) => void): { chunks: VectorsByHash, units: Map<string, Buffer> } {
  const path = options.previousPath === undefined ? options.outPath : options.previousPath
  const db = path === null ? undefined : openPreviousIndex(
    path,
    fingerprint,
    (reason) => log(`not reusing vectors from ${path}: ${reason}`)
  )
  if (db === undefined) return { chunks: new Map(), units: new Map() }
  try {
    return { chunks: previousChunkVectors(db, params), units: previousUnitVectors(db) }
  } finally {
    db.close()
  }
}

function stopwatch (): () => number {
  let last = performance.now()
  return () => {
    const now = performance.now()
    const elapsed = Math.round((now - last) * 10) / 10
    last = now
    return elapsed
  }
}

/**
 * One vector per chunk: the normalised mean of its windows' vectors (see embeddingTexts). A chunk's
 * windows are embedded in calls of their own: a text's vector differs in its last bits with the
 * other texts of its batch, and a reused vector must equal the one a full build computes.
 */
async function embedAll (embedder: Pick<Embedder, 'card' | 'embed'>, chunks: Chunk[], params: Readonly<ChunkerParams>,
  reusable: VectorsByHash, batchSize: number, log: (line: string) => void): Promise<{ vectors: Float32Array[], reused: number }> {
  const { dimensions } = embedder.card
  const vectors: Float32Array[] = []
  let reused = 0
  for (const chunk of chunks) {
    const previous = reusable.get(chunkContentHash(chunk, params))
    if (previous !== undefined && previous.length === dimensions) {
      vectors.push(previous)
      reused++
      continue
    }
    const texts = embeddingTexts(chunk, params)
    const sum = new Float32Array(dimensions)
    for (let i = 0; i < texts.length; i += batchSize) {
      const batch = texts.slice(i, i + batchSize)
      const embedded = await embedder.embed(batch)
      if (embedded.length !== batch.length) throw new Error(`the embedder returned ${embedded.length} vectors for ${batch.length} texts`)
      for (const vector of embedded) addInto(sum, vector)
    }
    vectors.push(normalise(sum))
  }
  log(`embedded ${chunks.length - reused} chunks, reused ${reused} vectors from the previous index`)
  return { vectors, reused }
}

/**
 * The vector of every answer unit the extractive answerer can quote, so answering embeds only the
 * question. Each unit is embedded alone (its int8 encoding must not depend on its batch) unless the
 * previous index holds it under the same key: then its stored bytes are kept as they are.
 */
async function embedUnits (embedder: Pick<Embedder, 'embed'>, chunks: Chunk[], reusable: Map<string, Buffer>,
  log: (line: string) => void): Promise<{ vectors: Array<[string, Buffer]>, reused: number }> {
  const texts = [...new Set(chunks.flatMap((c) => passageUnitTexts(c.text, c.heading)))]
  const byKey = new Map<string, Buffer>()
  let reused = 0
  for (const text of texts) {
    const key = unitTextKey(text)
    const previous = reusable.get(key)
    if (previous !== undefined) reused++
    byKey.set(key, previous ?? encodeUnitVector((await embedder.embed([text]))[0] as Float32Array))
  }
  log(`embedded ${texts.length - reused} answer units, reused ${reused}`)
  return { vectors: [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)), reused }
}

function addInto (sum: Float32Array, vector: Float32Array): void {
  if (vector.length !== sum.length) throw new Error(`the embedder returned ${vector.length} dimensions, its card says ${sum.length}`)
  for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] ?? 0) + (vector[i] ?? 0)
}

function normalise (vector: Float32Array): Float32Array {
  let sum = 0
  for (const x of vector) sum += x * x
  const norm = Math.sqrt(sum)
  if (!Number.isFinite(norm) || norm === 0) throw new Error('a chunk embedded to a zero or non-finite vector')
  return vector.map((x) => x / norm)
}

function writeIndexAtomically (outPath: string, contents: IndexContents): void {
  mkdirSync(dirname(outPath), { recursive: true })
  const tmp = join(dirname(outPath), `.${basename(outPath)}.${process.pid}.tmp`)
  rmSync(tmp, { force: true })
  try {
    writeIndex(tmp, contents)
    checkWritten(tmp, contents.meta.embedding_fingerprint)
    renameSync(tmp, outPath)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
}

/** Opens the new file as the service will (integrity, schema, counts, model) before it replaces anything. */
function checkWritten (path: string, fingerprint: string): void {
  const store = openVectorStore(path, { expectedFingerprint: fingerprint })
  try {
    if (store.status !== 'operational') throw new Error(`the index just written reads as ${store.status}`)
  } finally {
    store.close()
  }
}

function writeIndex (path: string, { meta, documents, chunks, vectors, unitVectors }: IndexContents): void {
  const db = new Database(path)
  try {
    db.pragma('journal_mode = DELETE')
    db.pragma('page_size = 4096')
    sqliteVec.load(db)
    db.transaction(() => {
      for (const statement of schemaStatements(meta.embedding_dimensions)) db.exec(statement)
      const insertMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)')
      for (const [key, value] of metaRows(meta)) insertMeta.run(key, value)
      const insertDoc = db.prepare(`INSERT INTO documents
              (id, title, category, owner, effective_date, version, markdown, review_date, source_url)
        VALUES (@id, @title, @category, @owner, @effective_date, @version, @markdown, @review_date, @source_url)`)
      for (const { file: _file, ...doc } of documents) insertDoc.run(doc)
      const categories = new Map(documents.map((d) => [d.id, d.category]))
      const insertChunk = db.prepare(`INSERT INTO chunks (rowid, id, document_id, ordinal, heading, text, start, "end")
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      const insertVec = db.prepare('INSERT INTO chunks_vec (chunk_rowid, embedding, category, document_id) VALUES (?, ?, ?, ?)')
      chunks.forEach((c, index) => {
        const rowid = BigInt(index + 1)
        const vector = vectors[index] as Float32Array
        insertChunk.run(rowid, c.id, c.document_id, c.ordinal, c.heading, c.text, c.start, c.end)
        insertVec.run(rowid, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength), categories.get(c.document_id), c.document_id)
      })
      const insertUnit = db.prepare('INSERT INTO unit_vectors (key, embedding) VALUES (?, ?)')
      for (const [key, blob] of unitVectors) insertUnit.run(key, blob)
      db.exec("INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild')")
      db.exec("INSERT INTO chunks_fts (chunks_fts) VALUES ('optimize')")
    })()
    db.exec('VACUUM')
  } finally {
    db.close()
  }
}
