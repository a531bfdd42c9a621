/**
 * Builds index-data/policies.sqlite from the corpus: chunks, embeds (batched), writes SQLite with FTS5
 * and sqlite-vec tables. The contents depend only on the corpus, the chunker and the model: no
 * timestamps, a stable order, VACUUM at the end. It writes a temporary file beside the target and
 * renames it, so a failed build never leaves a broken index.
 *
 *   npm run index:build -- [--corpus dir] [--out file] [--model dir]
 */
import Database from 'better-sqlite3'
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import * as sqliteVec from 'sqlite-vec'
import { CHUNKER_PARAMS, chunkDocument, embeddingTexts, type Chunk, type ChunkerParams } from '../lib/chunking.js'
import { readCorpus, type PolicyDocument } from '../lib/corpus.js'
import { createEmbedder, modelFingerprint, type Embedder } from '../lib/embedding/embedder.js'
import { passageUnitTexts } from '../lib/extractive.js'
import { metaRows, schemaStatements, SCHEMA_VERSION, encodeUnitVector, unitTextKey, type IndexMeta } from '../lib/index-schema.js'
import { defaultIndexPath, defaultModelDir, repoRoot } from '../lib/paths.js'

export const defaultCorpusDir = join(repoRoot, 'index-data', 'policies')

export interface BuildIndexOptions {
  corpusDir: string
  outPath: string
  embedder: Pick<Embedder, 'card' | 'embed'>
  chunkerParams?: Readonly<ChunkerParams>
  batchSize?: number
  log?: (line: string) => void
}

export interface BuildReport {
  documents: number
  chunks: number
  bytes: number
  timings_ms: { read: number, chunk: number, embed: number, write: number, total: number }
}

interface IndexContents {
  meta: IndexMeta
  documents: PolicyDocument[]
  chunks: Chunk[]
  vectors: Float32Array[]
  /** Answer-unit vectors by unitTextKey, in key order. */
  unitVectors: Array<[string, Float32Array]>
}

export async function buildIndex (options: BuildIndexOptions): Promise<BuildReport> {
  const log = options.log ?? (() => {})
  const params = options.chunkerParams ?? CHUNKER_PARAMS
  const { card } = options.embedder
  if (!(card.dimensions > 0)) throw new Error(`the embedding model is unavailable (card ${JSON.stringify(card.id)})`)
  const clock = stopwatch()

  const corpus = readCorpus(options.corpusDir)
  const read = clock()
  log(`corpus: ${corpus.documents.length} documents from ${options.corpusDir} (sha256 ${corpus.sha256.slice(0, 12)})`)

  const chunks = corpus.documents.flatMap((doc) => chunkDocument(doc, params))
  const chunk = clock()
  log(`chunks: ${chunks.length} (max ${params.maxTokens} estimated tokens, overlap ${params.overlapTokens})`)

  const vectors = await embedAll(options.embedder, chunks, params, options.batchSize ?? 64, log)
  const unitVectors = await embedUnits(options.embedder, chunks, options.batchSize ?? 64, log)
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
  writeIndexAtomically(options.outPath, { meta, documents: corpus.documents, chunks, vectors, unitVectors })
  const write = clock()
  const bytes = statSync(options.outPath).size
  log(`wrote ${options.outPath} (${(bytes / 1024).toFixed(0)} KiB)`)
  return {
    documents: corpus.documents.length,
    chunks: chunks.length,
    bytes,
    timings_ms: { read, chunk, embed, write, total: read + chunk + embed + write }
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

/** One vector per chunk: the normalised mean of its windows' vectors (see embeddingTexts). */
async function embedAll (embedder: Pick<Embedder, 'card' | 'embed'>, chunks: Chunk[], params: Readonly<ChunkerParams>,
  batchSize: number, log: (line: string) => void): Promise<Float32Array[]> {
  const owners: number[] = []
  const texts = chunks.flatMap((chunk, index) => {
    const windows = embeddingTexts(chunk, params)
    owners.push(...windows.map(() => index))
    return windows
  })
  const { dimensions } = embedder.card
  const sums = chunks.map(() => new Float32Array(dimensions))
  for (let i = 0; i < texts.length; i += batchSize) {
    const batch = texts.slice(i, i + batchSize)
    const embedded = await embedder.embed(batch)
    if (embedded.length !== batch.length) throw new Error(`the embedder returned ${embedded.length} vectors for ${batch.length} texts`)
    embedded.forEach((vector, k) => addInto(sums[owners[i + k] as number] as Float32Array, vector))
    log(`embedded ${Math.min(i + batchSize, texts.length)}/${texts.length} windows`)
  }
  return sums.map(normalise)
}

/** The vector of every answer unit the extractive answerer can quote, so answering embeds only the question. */
async function embedUnits (embedder: Pick<Embedder, 'embed'>, chunks: Chunk[], batchSize: number,
  log: (line: string) => void): Promise<Array<[string, Float32Array]>> {
  const texts = [...new Set(chunks.flatMap((c) => passageUnitTexts(c.text, c.heading)))]
  const byKey = new Map<string, Float32Array>()
  for (let i = 0; i < texts.length; i += batchSize) {
    const batch = texts.slice(i, i + batchSize)
    const embedded = await embedder.embed(batch)
    batch.forEach((text, k) => byKey.set(unitTextKey(text), embedded[k] as Float32Array))
  }
  log(`embedded ${texts.length} answer units`)
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
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
    renameSync(tmp, outPath)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
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
      const insertDoc = db.prepare(`INSERT INTO documents (id, title, category, owner, effective_date, version, markdown)
        VALUES (@id, @title, @category, @owner, @effective_date, @version, @markdown)`)
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
      for (const [key, v] of unitVectors) insertUnit.run(key, encodeUnitVector(v))
      db.exec("INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild')")
      db.exec("INSERT INTO chunks_fts (chunks_fts) VALUES ('optimize')")
    })()
    db.exec('VACUUM')
  } finally {
    db.close()
  }
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      corpus: { type: 'string', default: defaultCorpusDir },
      out: { type: 'string', default: defaultIndexPath },
      model: { type: 'string', default: defaultModelDir }
    }
  })
  const embedder = createEmbedder({ modelDir: values.model, cacheSize: 0 })
  if (embedder.reason !== undefined) throw new Error(embedder.reason)
  const log = (line: string): void => { process.stderr.write(`index:build ${line}\n`) }
  log(`model: ${modelFingerprint(embedder.card)}`)
  try {
    const report = await buildIndex({ corpusDir: values.corpus, outPath: values.out, embedder, log })
    log(`done: ${report.documents} documents, ${report.chunks} chunks, ${report.bytes} bytes; ms ${JSON.stringify(report.timings_ms)}`)
  } finally {
    await embedder.close()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`index:build failed: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  })
}
