import fp from 'fastify-plugin'
import type { AppConfig } from '../../lib/config.js'
import { createEmbedder, type Embedder } from '../../lib/embedding/embedder.js'
import { configuredPath, defaultModelDir } from '../../lib/paths.js'

declare module 'fastify' {
  interface FastifyInstance {
    embedder: Embedder
  }
}

export interface EmbedderPluginOptions {
  /** Overrides EMBEDDING_MODEL_PATH. */
  modelDir?: string
  /** Use this embedder instead of opening one from config (tests share one across apps); the caller closes it. */
  embedder?: Embedder
}

/** The embedder the settings describe (the model folder, threads and cache); `onLoad` hears when its session opens. */
export function configuredEmbedder (config: AppConfig, modelDir?: string, onLoad?: (ms: number) => void): Embedder {
  return createEmbedder({
    modelDir: modelDir ?? configuredPath(config.EMBEDDING_MODEL_PATH, defaultModelDir),
    intraOpNumThreads: config.EMBEDDING_THREADS,
    cacheSize: config.EMBEDDING_CACHE_SIZE,
    ...(onLoad === undefined ? {} : { onLoad })
  })
}

/**
 * Decorates `fastify.embedder` (lib/embedding/embedder): sentence vectors from an ONNX model
 * run by onnxruntime-node (https://onnxruntime.ai/docs/get-started/with-javascript/node.html).
 * The model folder is EMBEDDING_MODEL_PATH, or the USE-Lite conversion in models/use-lite.
 * The session opens on the first embed, never at start-up or for /health; a missing or broken
 * folder makes the embedder `unavailable` (with a reason) instead of failing start-up.
 */
export default fp<EmbedderPluginOptions>(async function embedderPlugin (fastify, opts) {
  if (opts.embedder !== undefined) {
    fastify.decorate('embedder', opts.embedder)
    return
  }
  const { config } = fastify
  const modelDir = opts.modelDir ?? configuredPath(config.EMBEDDING_MODEL_PATH, defaultModelDir)
  const embedder = configuredEmbedder(config, modelDir, (ms) =>
    fastify.log.info({ model: embedder.card.id, load_ms: Math.round(ms) }, 'embedding model loaded'))
  if (embedder.status() === 'unavailable') {
    fastify.log.warn({ model_dir: modelDir, reason: embedder.reason }, 'embedding model unavailable: vector search is off')
  } else {
    fastify.log.info(
      { model: embedder.card.id, family: embedder.card.family, dimensions: embedder.card.dimensions },
      'embedding model found; it loads on first use'
    )
  }

  fastify.decorate('embedder', embedder)
  fastify.addHook('onClose', async () => {
    await embedder.close()
  })
}, { name: 'embedder', dependencies: ['config'] })
