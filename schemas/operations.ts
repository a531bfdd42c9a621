import type { FastifySchema } from 'fastify'

interface OperationDoc { tag: 'answers' | 'corpus' | 'operations', summary: string, description: string }

/**
 * What /openapi.json says of each operation, by operationId: its tag, summary and description. The
 * routes state the rest of their schema (body, params, responses) where they are declared.
 */
const OPERATIONS = {
  askQuestion: {
    tag: 'answers',
    summary: 'Ask a question',
    description: 'An answer from the policies with [n] citations: written by the LLM, quoted from the passages (no LLM, or it ' +
      'failed), or refused by the guardrails (HTTP 200 with a helpful answer). ' +
      'JSON by default. With "stream": true or Accept: text/event-stream, Server-Sent Events: `token` events ({"text"}) as the ' +
      'answer is written, then `done` with the whole response object below (its `answer` is authoritative: it is the checked answer, ' +
      'and it replaces the streamed text if an LLM answer had to fall back), or `error` ({"message"}) if it fails midway.'
  },
  searchPolicies: {
    tag: 'answers',
    summary: 'Search the policies',
    description: 'Ranked policy passages for a query: hybrid (vector and keyword rankings fused by reciprocal rank), vector or ' +
      'keyword, optionally within one category or document. Any text is a valid query: FTS5 operators in it are searched for as words.'
  },
  listModels: {
    tag: 'answers',
    summary: 'OpenAI-compatible: the one model this service answers as, policy-rag',
    description: 'OpenAI\'s model list, with the one model this service answers as: policy-rag.'
  },
  retrieveModel: {
    tag: 'answers',
    summary: 'OpenAI-compatible: one model; 404 for any id but policy-rag',
    description: 'OpenAI\'s model object for policy-rag; any other id is a 404 in OpenAI\'s error shape.'
  },
  createChatCompletion: {
    tag: 'answers',
    summary: 'OpenAI-compatible chat completion: the last user message answered from the policies, as /chat answers it',
    description: 'The last user message is the question and earlier user and assistant messages the history (the last 10). ' +
      'System and developer messages are ignored, never obeyed. The content carries the [n] citation markers and a "Sources:" list; ' +
      'the extra `citations`, `mode` and `reason` fields carry them as data. With "stream": true the reply is Server-Sent Events: ' +
      'chat.completion.chunk objects (`data:` lines) ending with `data: [DONE]`. max_tokens, temperature and user are accepted and ' +
      'do not change the answer.'
  },
  listDocuments: {
    tag: 'corpus',
    summary: 'List the policy documents',
    description: 'Every policy document in the index (id, title, category, effective date, version, chunk count), and the categories ' +
      'they belong to: the values search\'s `category` filter accepts.'
  },
  getDocument: {
    tag: 'corpus',
    summary: 'Get one policy document',
    description: 'The document\'s fields and its text as Markdown; 404 for an id GET /documents does not list.'
  },
  getLiveness: {
    tag: 'operations',
    summary: 'Liveness probe',
    description: 'The process runs and its event loop answers: restart the machine only when this fails. Not rate limited, never ' +
      'needs a key.'
  },
  getReadiness: {
    tag: 'operations',
    summary: 'Readiness probe',
    description: '200 when the index is open and search and chat would be answered, else 503 with the reason. Not rate limited, never ' +
      'needs a key.'
  },
  getHealth: {
    tag: 'operations',
    summary: 'Service health',
    description: 'For platform health checks: 200 when healthy or degraded (answers are possible), 503 when unhealthy, with each ' +
      'component\'s state. Cheap, never loads the model, not rate limited and never needs a key.'
  },
  getMemory: {
    tag: 'operations',
    summary: 'Memory figures',
    description: 'The memory monitor\'s figures: RSS, heap, the memory limit and where it comes from (cgroup, config or default), ' +
      'utilisation, and the sizes of the model and the index.'
  },
  getStats: {
    tag: 'operations',
    summary: 'Usage counters',
    description: 'Usage since start: answers by mode, refusals, guardrail triggers, citations by document, searches by mode and ' +
      'latency per route. No question is stored.'
  },
  getMetrics: {
    tag: 'operations',
    summary: 'Prometheus metrics',
    description: 'Process and runtime metrics, requests by route and status, retrieval, LLM and usage counters in the Prometheus text ' +
      'exposition format. Open unless METRICS_REQUIRE_KEY is set.'
  },
  reloadIndex: {
    tag: 'operations',
    summary: 'Reopen the index file',
    description: 'Reopens VECTOR_STORE_PATH after a new index file was renamed over it, as SIGHUP does. The new file is validated ' +
      'first: a broken one is rejected with 409 and the index already open keeps serving. Exists only when API_KEYS is set.'
  }
} satisfies Record<string, OperationDoc>

export type OperationId = keyof typeof OPERATIONS

/** A route's schema: the operation's documentation from the table above, then what the route declares itself. */
export function operation<S extends FastifySchema> (operationId: OperationId, schema: S) {
  const { tag, summary, description }: OperationDoc = OPERATIONS[operationId]
  return { tags: [tag], operationId, summary, description, ...schema }
}

/**
 * The config of the routes that answer questions (/chat, /search, /v1/chat/completions): they need a key,
 * spend the answers' rate-limit bucket and are shed under memory pressure (which /openapi.json documents).
 */
export const ANSWER_ROUTE_CONFIG = { shedUnderPressure: true, auth: 'key' } as const
