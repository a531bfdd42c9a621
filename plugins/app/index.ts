import answerer from './answerer.js'
import apiKeys from './api-keys.js'
import embedder from './embedder.js'
import gracefulClose from './graceful-close.js'
import guardrails from './guardrails.js'
import llm from './llm.js'
import memoryMonitor from './memory-monitor.js'
import metrics from './metrics.js'
import policyIndex from './policy-index.js'
import retriever from './retriever.js'
import schemas from './schemas.js'
import usageStats from './usage-stats.js'

/**
 * The service's capabilities, in the order app.ts registers them: each after the ones its `fp`
 * dependencies name (Fastify checks them when it registers it). A list rather than a directory
 * scan (@fastify/autoload): importing the plugins directly is cheaper at start-up and
 * lets a bundler see them. test/app.test.ts checks it names every file of this folder.
 */
export default [
  embedder, guardrails, llm, policyIndex, retriever, usageStats, answerer, apiKeys, gracefulClose, memoryMonitor, metrics, schemas
]
