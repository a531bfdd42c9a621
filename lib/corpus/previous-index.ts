/**
 * An incremental build reuses the vectors of the index it replaces: a vector depends only on the
 * exact texts embedded and the model, so it is found again by a hash of those texts. The previous
 * index is opened once and its model checked; each vector table is then read into its own map:
 * chunk vectors by chunkContentHash, answer-unit vectors by their stored key (unitTextKey).
 */
import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import * as sqliteVec from 'sqlite-vec'
import { embeddingTexts, type Chunk, type ChunkerParams } from './chunking.js'
import { readMeta } from '../search/index-schema.js'

export type VectorsByHash = Map<string, Float32Array>

/** The hash a chunk's vector is stored under: the texts its vector is the mean of. */
export function chunkContentHash (chunk: Pick<Chunk, 'heading' | 'text'>, params: Readonly<ChunkerParams>): string {
  return contentHash(embeddingTexts(chunk, params))
}

export function contentHash (texts: readonly string[]): string {
  const hash = createHash('sha256')
  for (const text of texts) hash.update(`${Buffer.byteLength(text)}\0`).update(text)
  return hash.digest('hex')
}

/**
 * The previous index at `path`, open read-only, when it exists and was embedded by the model with
 * this fingerprint; otherwise undefined and `why` says so (for the build's log).
 */
export function openPreviousIndex (path: string, fingerprint: string, why: (reason: string) => void): Database.Database | undefined {
  if (!existsSync(path)) return undefined
  let db: Database.Database | undefined
  try {
    db = new Database(path, { readonly: true, fileMustExist: true })
    sqliteVec.load(db)
    const meta = readMeta(db)
    if (meta.embedding_fingerprint === fingerprint) return db
    why(`it was embedded by ${meta.embedding_fingerprint}`)
  } catch (err) {
    why(err instanceof Error ? err.message : String(err))
  }
  db?.close()
  return undefined
}

/** The previous index's chunk vectors by chunkContentHash. */
export function previousChunkVectors (db: Database.Database, params: Readonly<ChunkerParams>): VectorsByHash {
  const rows = db.prepare(`SELECT c.heading, c.text, v.embedding FROM chunks c JOIN chunks_vec v ON v.chunk_rowid = c.rowid`)
    .all() as Array<{ heading: string, text: string, embedding: Buffer }>
  return new Map(rows.map((r) => [chunkContentHash(r, params), toFloats(r.embedding)]))
}

function toFloats (blob: Buffer): Float32Array {
  const copy = new Uint8Array(blob)
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4)
}

/** The previous index's answer-unit vectors, encoded as stored, by unitTextKey (none when it has no such table). */
export function previousUnitVectors (db: Database.Database): Map<string, Buffer> {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'unit_vectors'").get()
  if (table === undefined) return new Map()
  const rows = db.prepare('SELECT key, embedding FROM unit_vectors').all() as Array<{ key: string, embedding: Buffer }>
  return new Map(rows.map((r) => [r.key, r.embedding]))
}
