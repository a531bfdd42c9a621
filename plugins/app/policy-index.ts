import type { FastifyBaseLogger } from 'fastify'
import fp from 'fastify-plugin'
import { modelFingerprint, type Embedder } from '../../lib/embedding/embedder.js'
import { stateGauge } from '../../lib/ops/metric.js'
import { countPastReview } from '../../lib/corpus/policy-review.js'
import { configuredPath, defaultIndexPath } from '../../lib/paths.js'
import type { VectorStoreState } from '../../schemas/health.js'
import { IndexUnavailableError } from '../../lib/errors.js'
import { openVectorStore, type VectorStore } from '../../lib/search/vector-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    policyIndex: PolicyIndex
  }
}

export interface ReloadResult {
  ok: boolean
  status: VectorStoreState
  reason?: string
  /** The VectorStoreError code when the file could not be opened (INDEX_NOT_FOUND, INDEX_CORRUPT, ...). */
  code?: string
}

export interface PolicyIndex {
  readonly status: VectorStoreState
  /** Why the status is not `operational`, in words fit for a log or an operator. */
  readonly reason?: string
  /**
   * The index serving now; undefined when it is unavailable. Read it per request: reload() swaps it. A
   * query that finds the file damaged throws IndexUnavailableError, and the index goes `unavailable`.
   */
  readonly current?: VectorStore
  readonly path: string
  /**
   * Opens the file anew and swaps it in; on failure the store serving now stays. Replace the file
   * by renaming a new one over it, as index:build does: rewriting it in place changes what the
   * open handle reads.
   */
  reload(): ReloadResult
}

export interface PolicyIndexPluginOptions {
  /** Overrides VECTOR_STORE_PATH. */
  path?: string
  /** How long a replaced store stays open for requests that already hold it (default 5000 ms). */
  closeGraceMs?: number
}

interface State {
  status: VectorStoreState
  reason?: string
  code?: string
  store?: VectorStore
}

/**
 * Opens the committed SQLite index read-only (lib/search/vector-store: sqlite-vec + FTS5: vector and
 * keyword search, documents) and decorates `fastify.policyIndex`, whose `.current` is the open index.
 * A missing or broken file makes the status `unavailable` instead of failing start-up; an index
 * embedded by another model than `fastify.embedder`'s is `model_mismatch` (keyword search and
 * documents still work). A gauge counts the policies past their review date.
 */
export default fp<PolicyIndexPluginOptions>(async function policyIndexPlugin (fastify, opts) {
  const path = opts.path ?? configuredPath(fastify.config.VECTOR_STORE_PATH, defaultIndexPath)
  const graceMs = opts.closeGraceMs ?? 5000
  const retiring = new Map<VectorStore, NodeJS.Timeout>()
  let state: State = { status: 'unavailable', reason: 'not opened yet' }

  const retire = (store: VectorStore): void => {
    const timer = setTimeout(() => {
      retiring.delete(store)
      store.close()
    }, graceMs)
    timer.unref()
    retiring.set(store, timer)
  }

  // A query that finds the file damaged (SQLite corrupt, not a database, I/O error) retires the store:
  // the index is `unavailable` until a reload.
  const damaged = (store: VectorStore, code: string): void => {
    if (state.store !== store) return
    fastify.log.error({ path, code }, 'vector store unavailable: the index file is damaged; replace it and reload (SIGHUP)')
    retire(store)
    state = { status: 'unavailable', reason: `the index file is damaged (${code})` }
  }

  const reload = (): ReloadResult => {
    const next = openState(path, fastify.embedder, fastify.log, damaged)
    if (next.store === undefined && state.store !== undefined) {
      fastify.log.error({ path, reason: next.reason }, 'vector store reload failed; the index already open keeps serving')
      return { ok: false, status: next.status, reason: next.reason, ...(next.code === undefined ? {} : { code: next.code }) }
    }
    const previous = state.store
    state = next
    if (previous !== undefined) retire(previous)
    return {
      ok: next.store !== undefined,
      status: next.status,
      ...(next.reason === undefined ? {} : { reason: next.reason }),
      ...(next.code === undefined ? {} : { code: next.code })
    }
  }

  reload()
  fastify.decorate('policyIndex', {
    get status () { return state.status },
    get reason () { return state.reason },
    get current () { return state.store },
    path,
    reload
  })
  const pastReviewHelp = 'Policies in the index whose review_date has passed (flagged review_overdue in /documents)'
  stateGauge('policy_rag_policies_past_review', pastReviewHelp, () => {
    try {
      return countPastReview(state.store?.listDocuments() ?? [], new Date())
    } catch {
      return 0
    }
  })

  fastify.addHook('onClose', async () => {
    for (const [store, timer] of retiring) {
      clearTimeout(timer)
      store.close()
    }
    retiring.clear()
    state.store?.close()
    state = { status: 'unavailable', reason: 'closed' }
  })
}, { name: 'policy-index', dependencies: ['config', 'embedder'] })

const DAMAGED_FILE = /^SQLITE_(CORRUPT|NOTADB|IOERR)/

/** The store's methods, each turning an error that says the file is damaged into IndexUnavailableError. */
function guarded (store: VectorStore, onDamage: (store: VectorStore, code: string) => void): VectorStore {
  const guard = <A extends unknown[], R>(method: (...args: A) => R) => (...args: A): R => {
    try {
      return method.apply(store, args)
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code
      if (typeof code !== 'string' || !DAMAGED_FILE.test(code)) throw err
      onDamage(safe, code)
      throw new IndexUnavailableError('the file is damaged (see the service log)', { cause: err })
    }
  }
  const safe: VectorStore = {
    meta: store.meta,
    path: store.path,
    status: store.status,
    vectorSearch: guard(store.vectorSearch),
    keywordSearch: guard(store.keywordSearch),
    listDocuments: guard(store.listDocuments),
    categories: guard(store.categories),
    getDocument: guard(store.getDocument),
    getChunk: guard(store.getChunk),
    listChunks: guard(store.listChunks),
    vocabulary: guard(store.vocabulary),
    unitVectors: guard(store.unitVectors),
    unitMatrix: guard(store.unitMatrix),
    close: () => { store.close() }
  }
  return safe
}

type EmbedderLike = Pick<Embedder, 'card' | 'reason'>

/** The embedder's fingerprint, or undefined when its model folder cannot even be described. */
function embedderFingerprint (embedder: EmbedderLike): string | undefined {
  return embedder.card.dimensions > 0 ? modelFingerprint(embedder.card) : undefined
}

function openState (path: string, embedder: EmbedderLike, log: FastifyBaseLogger,
  onDamage: (store: VectorStore, code: string) => void): State {
  const expected = embedderFingerprint(embedder)
  let store: VectorStore
  try {
    store = guarded(openVectorStore(path, expected === undefined ? {} : { expectedFingerprint: expected }), onDamage)
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    const code = (err as { code?: unknown } | null)?.code
    log.error({ err, path }, `vector store unavailable: ${reason}`)
    return { status: 'unavailable', reason, ...(typeof code === 'string' ? { code } : {}) }
  }
  const { meta } = store
  if (store.status === 'model_mismatch') {
    const reason = `the index was embedded by ${meta.embedding_fingerprint} but the embedder is ${expected ?? 'unknown'}; ` +
      'vector search is refused until the index is rebuilt'
    log.error({ path }, reason)
    return { status: 'model_mismatch', reason, code: 'INDEX_MODEL_MISMATCH', store }
  }
  if (expected === undefined) {
    const why = embedder.reason ?? 'the embedding model is unavailable'
    const reason = `the index's model (${meta.embedding_fingerprint}) was not checked: ${why}`
    log.warn({ path }, reason)
    return { status: 'operational', reason, store }
  }
  log.info({ path, model: meta.embedding_model_id, corpus: meta.corpus_sha256.slice(0, 12) }, 'vector store opened')
  return { status: 'operational', store }
}
