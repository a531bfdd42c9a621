import fp from 'fastify-plugin'
import { checkCategory } from '../../lib/search/categories.js'
import { EmbedderUnavailableError, IndexUnavailableError, ModelMismatchError } from '../../lib/errors.js'
import { counter, histogram, stateGauge } from '../../lib/ops/metric.js'
import { passageUnitTexts } from '../../lib/answer/extractive.js'
import { PassageUnitIndex } from '../../lib/search/passage-units.js'
import { retrieve, type Retrieval, type RetrieveRequest, type SearchMode } from '../../lib/search/retrieval.js'
import { workplaceSynonyms } from '../../lib/search/synonyms.js'
import type { VectorStore } from '../../lib/search/vector-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    retriever: Retriever
  }
}

export interface Retriever {
  /** Runs the search in the mode asked for, or in keyword mode when vectors cannot be used; `mode` says which ran. */
  retrieve(request: RetrieveRequest): Promise<Retrieval & { mode: SearchMode }>
  /** The store serving now (a reload may swap it), or undefined when the index is unavailable. */
  store(): VectorStore | undefined
}

/**
 * Retrieval shared by /search and /chat: embeds the query (fastify.embedder), searches the
 * index (fastify.policyIndex) and fuses the two rankings, recording timings in /metrics.
 */
export default fp(async function retriever (fastify) {
  const synonyms = workplaceSynonyms()
  const { RRF_K: rrfK, RRF_KEYWORD_WEIGHT: keywordWeight, RETRIEVAL_CANDIDATES: candidates } = fastify.config
  const searches = counter({ name: 'searches_total', help: 'Retrievals by mode actually run', labelNames: ['mode'] })
  const stageSeconds = histogram({
    name: 'retrieval_stage_duration_seconds',
    help: 'Time spent per retrieval stage',
    labelNames: ['stage'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]
  })
  const topScore = histogram({
    name: 'retrieval_top_similarity',
    help: 'Cosine similarity of the best vector match per retrieval (low values: questions the policies do not cover)',
    buckets: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]
  })

  stateGauge('index_model_mismatch', '1 when the index was built by another embedding model than the one loaded', () =>
    fastify.policyIndex.status === 'model_mismatch' ? 1 : 0)
  stateGauge('index_available', '1 when the policy index is open and readable', () => fastify.policyIndex.current === undefined ? 0 : 1)

  const vectorsUsable = (): boolean =>
    fastify.policyIndex.status === 'operational' && fastify.embedder.status() !== 'unavailable'

  fastify.decorate('retriever', {
    store: () => fastify.policyIndex.current,
    async retrieve (request) {
      const store = fastify.policyIndex.current
      if (store === undefined) throw new IndexUnavailableError('it could not be opened (see the service log)')
      checkCategory(store, request.filters?.category)
      let mode = request.mode
      if (mode !== 'keyword' && !vectorsUsable()) {
        if (mode === 'vector') throw refusalFor(fastify.policyIndex.status)
        mode = 'keyword'
      }
      const run = async (as: SearchMode): Promise<Retrieval> =>
        retrieve(
          {
            store,
            synonyms,
            passageUnits: as === 'hybrid' ? passageUnitsOf(store) : undefined,
            embedQuery: async (text) => (await fastify.embedder.embed([text]))[0] as Float32Array
          },
          { ...request, mode: as },
          { rrfK, keywordWeight, candidates }
        )
      let result: Retrieval
      try {
        result = await run(mode)
      } catch (err) {
        // The model's first load can fail (a damaged file): answer from keywords rather than with a 500.
        if (!(err instanceof EmbedderUnavailableError) || mode === 'keyword') throw err
        if (mode === 'vector') throw refusalFor('operational')
        fastify.log.warn({ reason: err.message, cause: (err.cause as Error | undefined)?.message }, 'embedding failed: keyword search only')
        mode = 'keyword'
        result = await run(mode)
      }
      searches.inc({ mode })
      for (const stage of ['embed', 'vector', 'keyword'] as const) {
        if (result.timingsMs[stage] > 0) stageSeconds.observe({ stage }, result.timingsMs[stage] / 1000)
      }
      if (result.topSimilarity !== null) topScore.observe(result.topSimilarity)
      return { ...result, mode }
    }
  })
}, { name: 'retriever', dependencies: ['config', 'embedder', 'policy-index'] })

const unitIndexes = new WeakMap<VectorStore, PassageUnitIndex | undefined>()

/** The store's passages with their unit vectors, built on the first hybrid search against that store. */
function passageUnitsOf (store: VectorStore): PassageUnitIndex | undefined {
  if (unitIndexes.has(store)) return unitIndexes.get(store)
  // Above what the store keeps in memory (MAX_CACHED_UNITS unit vectors), the passage vectors rank alone.
  const units = store.unitMatrix()
  const index = units === undefined
    ? undefined
    : new PassageUnitIndex(units, store.listChunks().map((chunk) => ({ chunk, texts: passageUnitTexts(chunk.text, chunk.heading) })))
  unitIndexes.set(store, index)
  return index
}

function refusalFor (storeStatus: string): Error {
  if (storeStatus === 'model_mismatch') return new ModelMismatchError()
  return new EmbedderUnavailableError('the embedding model could not be loaded (see the service log)')
}
