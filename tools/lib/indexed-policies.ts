import type { FastifyInstance } from 'fastify'
import { policyDocuments } from '../../lib/search/vector-store.js'

/** The policies of the app's open index, for the tools that build the guardrails' banks; throws when no index is open. */
export function indexedPolicies (app: FastifyInstance): Array<{ title: string, markdown: string }> {
  const store = app.retriever.store()
  if (store === undefined) throw new Error('the index is unavailable')
  return policyDocuments(store)
}
