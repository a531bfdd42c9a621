import type { Components, NotReadyReason, OverallStatus } from '../../schemas/health.js'

/**
 * Unhealthy only when no answer is possible (the index cannot be read). Anything else that is
 * not fully working still leaves answers possible: keyword search without the model, extractive
 * answers without the LLM, shedding under pressure. A model not loaded yet is healthy: it loads on use.
 * An LLM deliberately not configured is healthy too: extractive answers are then the configured service.
 */
export function overallStatus (c: Components): OverallStatus {
  if (c.vector_store === 'unavailable') return 'unhealthy'
  const fine = c.vector_store === 'operational' &&
    c.embedding_service !== 'unavailable' &&
    c.llm_service !== 'circuit_open' &&
    c.memory_manager === 'operational'
  return fine ? 'healthy' : 'degraded'
}

/** Readiness: the index is open and search and chat are not being shed, so a request routed here would be answered. */
export function notReadyReason (c: Pick<Components, 'vector_store' | 'memory_manager'>): NotReadyReason | undefined {
  if (c.vector_store === 'unavailable') return 'index_unavailable'
  if (c.memory_manager === 'pressure') return 'memory_pressure'
  return undefined
}
