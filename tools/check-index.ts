/**
 * Rebuilds the index into a temporary folder and compares it with the committed file: documents,
 * chunks and meta exactly, vectors within a float tolerance (CPU float math may differ slightly).
 * Exits non-zero saying what is stale: the corpus, the chunker or the model.
 *
 *   npm run index:check -- [--index file] [--corpus dir] [--model dir]
 */
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import * as sqliteVec from 'sqlite-vec'
import { createEmbedder, type Embedder } from '../lib/embedding/embedder.js'
import { defaultIndexPath, defaultModelDir, repoRoot } from '../lib/paths.js'
import { buildIndex, defaultCorpusDir } from '../lib/corpus/build-index.js'

export const DEFAULT_VECTOR_TOLERANCE = 1e-5
/**
 * For a model with int8 weights: its kernels quantize activations, and another CPU's kernels
 * (AVX2 rather than AVX-512 VNNI, say) may round one of them to the next step. A different model
 * is caught by the meta table's model hash, not by this.
 */
export const INT8_VECTOR_TOLERANCE = 2e-3

export function vectorTolerance (card: { weights?: string }): number {
  return card.weights === undefined ? DEFAULT_VECTOR_TOLERANCE : INT8_VECTOR_TOLERANCE
}

export type StaleCause = 'missing' | 'schema' | 'corpus' | 'chunker' | 'model' | 'contents'

export interface IndexComparison {
  ok: boolean
  causes: StaleCause[]
  problems: string[]
  max_vector_diff: number | null
}

type Row = Record<string, unknown>

interface Snapshot {
  meta: Map<string, string>
  documents: Row[]
  chunks: Row[]
  vectors: Map<number, Float32Array>
}

const META_CAUSES: Record<string, StaleCause> = {
  schema_version: 'schema',
  corpus_sha256: 'corpus',
  chunker_params: 'chunker',
  embedding_model_id: 'model',
  embedding_dimensions: 'model',
  embedding_model_sha256: 'model',
  embedding_fingerprint: 'model'
}

const CAUSE_TEXT: Record<StaleCause, string> = {
  missing: 'the committed index is missing or unreadable',
  schema: 'the index schema changed',
  corpus: 'the corpus changed',
  chunker: 'the chunker changed',
  model: 'the embedding model changed',
  contents: 'the contents differ although corpus, chunker and model are the same'
}

/** Compares a committed index with a fresh build of it. */
export function compareIndexes (committedPath: string, freshPath: string, tolerance = DEFAULT_VECTOR_TOLERANCE): IndexComparison {
  let committed: Snapshot
  try {
    committed = snapshot(committedPath)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    return { ok: false, causes: ['missing'], problems: [`cannot read ${committedPath}: ${message}`], max_vector_diff: null }
  }
  const fresh = snapshot(freshPath)
  const causes = new Set<StaleCause>()
  const problems: string[] = []
  compareMeta(committed.meta, fresh.meta, causes, problems)
  compareRows('documents', committed.documents, fresh.documents, problems)
  compareRows('chunks', committed.chunks, fresh.chunks, problems)
  const maxDiff = compareVectors(committed.vectors, fresh.vectors, tolerance, problems)
  if (problems.length > 0 && causes.size === 0) causes.add(maxDiff !== null && maxDiff > tolerance ? 'model' : 'contents')
  return { ok: problems.length === 0, causes: [...causes], problems, max_vector_diff: maxDiff }
}

export function describeComparison (result: IndexComparison, committedPath: string): string {
  if (result.ok) return `${committedPath} is up to date (max vector difference ${result.max_vector_diff ?? 0})`
  const why = result.causes.map((cause) => CAUSE_TEXT[cause]).join('; ')
  return [
    `${committedPath} is stale: ${why}.`,
    ...result.problems.map((p) => `  - ${p}`),
    'Rebuild it with `npm run index:build` and commit the result.'
  ].join('\n')
}

function snapshot (path: string): Snapshot {
  const db = new Database(path, { readonly: true, fileMustExist: true })
  try {
    sqliteVec.load(db)
    const meta = new Map((db.prepare('SELECT key, value FROM meta ORDER BY key').all() as Array<{ key: string, value: string }>)
      .map((r) => [r.key, r.value]))
    const documents = db.prepare('SELECT * FROM documents ORDER BY id').all() as Row[]
    const chunks = db.prepare('SELECT rowid AS rowid, * FROM chunks ORDER BY rowid').all() as Row[]
    const vectorRows = db.prepare<[], { chunk_rowid: number, embedding: Buffer }>(
      'SELECT chunk_rowid, embedding FROM chunks_vec ORDER BY chunk_rowid').all()
    const vectors = new Map(vectorRows.map((r) => [r.chunk_rowid, toFloats(r.embedding)]))
    return { meta, documents, chunks, vectors }
  } finally {
    db.close()
  }
}

function toFloats (blob: Buffer): Float32Array {
  const copy = new Uint8Array(blob)
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4)
}

function compareMeta (committed: Map<string, string>, fresh: Map<string, string>, causes: Set<StaleCause>, problems: string[]): void {
  const keys = [...new Set([...committed.keys(), ...fresh.keys()])].sort()
  for (const key of keys) {
    const before = committed.get(key)
    const after = fresh.get(key)
    if (before === after) continue
    causes.add(META_CAUSES[key] ?? 'schema')
    problems.push(`meta ${key}: committed ${short(before)}, rebuilt ${short(after)}`)
  }
}

function short (value: string | undefined): string {
  if (value === undefined) return '(absent)'
  return value.length > 120 ? `${value.slice(0, 117)}...` : value
}

function compareRows (table: string, committed: Row[], fresh: Row[], problems: string[]): void {
  const key = (row: Row): string => String(row.id)
  const before = new Map(committed.map((r) => [key(r), JSON.stringify(r)]))
  const after = new Map(fresh.map((r) => [key(r), JSON.stringify(r)]))
  const added = [...after.keys()].filter((id) => !before.has(id))
  const removed = [...before.keys()].filter((id) => !after.has(id))
  const changed = [...after.keys()].filter((id) => before.has(id) && before.get(id) !== after.get(id))
  if (added.length > 0) problems.push(`${table}: ${added.length} new in the rebuild (${listSome(added)})`)
  if (removed.length > 0) problems.push(`${table}: ${removed.length} no longer produced (${listSome(removed)})`)
  if (changed.length > 0) problems.push(`${table}: ${changed.length} changed (${listSome(changed)})`)
  const orderChanged = added.length + removed.length + changed.length === 0 &&
    committed.map(key).join('\n') !== fresh.map(key).join('\n')
  if (orderChanged) problems.push(`${table}: same rows in a different order`)
}

function listSome (ids: string[]): string {
  return ids.length > 5 ? `${ids.slice(0, 5).join(', ')}, ...` : ids.join(', ')
}

function compareVectors (
  committed: Map<number, Float32Array>,
  fresh: Map<number, Float32Array>,
  tolerance: number,
  problems: string[]
): number | null {
  if (committed.size !== fresh.size) {
    problems.push(`vectors: committed ${committed.size}, rebuilt ${fresh.size}`)
    return null
  }
  let max = 0
  for (const [rowid, vector] of fresh) {
    const old = committed.get(rowid)
    if (old === undefined || old.length !== vector.length) {
      problems.push(`vectors: chunk row ${rowid} is missing or has another dimension`)
      return null
    }
    for (let i = 0; i < vector.length; i++) max = Math.max(max, Math.abs((vector[i] ?? 0) - (old[i] ?? 0)))
  }
  if (max > tolerance) problems.push(`vectors: max abs difference ${max.toExponential(2)} exceeds ${tolerance}`)
  return max
}

export interface CheckIndexOptions {
  indexPath: string
  corpusDir: string
  embedder: Pick<Embedder, 'card' | 'embed'>
  tolerance?: number
}

/** Rebuilds into a temporary folder, compares with the committed index, and removes the rebuild. */
export async function checkIndex (options: CheckIndexOptions): Promise<IndexComparison> {
  const dir = mkdtempSync(join(tmpdir(), 'policy-rag-index-check-'))
  try {
    const freshPath = join(dir, 'policies.sqlite')
    await buildIndex({ corpusDir: options.corpusDir, outPath: freshPath, embedder: options.embedder })
    return compareIndexes(options.indexPath, freshPath, options.tolerance ?? vectorTolerance(options.embedder.card))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      index: { type: 'string', default: defaultIndexPath },
      corpus: { type: 'string', default: defaultCorpusDir },
      model: { type: 'string', default: defaultModelDir }
    }
  })
  const embedder = createEmbedder({ modelDir: values.model, cacheSize: 0 })
  if (embedder.reason !== undefined) throw new Error(embedder.reason)
  try {
    const result = await checkIndex({ indexPath: values.index, corpusDir: values.corpus, embedder })
    const shown = relative(repoRoot, values.index) || values.index
    process.stderr.write(`index:check ${describeComparison(result, shown)}\n`)
    if (!result.ok) process.exitCode = 1
  } finally {
    await embedder.close()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`index:check failed: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  })
}
