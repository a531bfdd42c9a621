import envSchema from 'env-schema'
import { Type, type Static } from 'typebox'
import { parseApiKeys } from './ops/api-keys.js'

/**
 * Every setting the service reads, with its default. Environment variable names are the keys.
 * The README's configuration table is generated from the descriptions here (tools/config-table.ts).
 */
export const ConfigSchema = Type.Object({
  NODE_ENV: Type.String({ default: 'production', description: 'Kept for compatibility; behaviour is configured, not derived from it.' }),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1, description: 'Interface to listen on (the Docker image sets 0.0.0.0).' }),
  PORT: Type.Integer({ default: 8080, minimum: 0, maximum: 65535, description: 'TCP port to listen on.' }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info', description: 'pino log level.' }),
  LOG_PRETTY: Type.Boolean({ default: false, description: 'Human-readable logs (pino-pretty) instead of JSON lines.' }),

  LLM_API_KEY: Type.String({
    default: '',
    description: 'API key for the LLM provider (OpenRouter or any OpenAI-compatible server). Never logged.'
  }),
  OPENROUTER_API_KEY: Type.String({
    default: '',
    description: 'Former name of LLM_API_KEY, still read when LLM_API_KEY is not set. Never logged.'
  }),
  LLM_BASE_URL: Type.String({
    default: 'https://openrouter.ai/api/v1',
    pattern: '^https?://',
    description: 'Base URL of an OpenAI-compatible API (`/chat/completions` is appended).'
  }),
  LLM_MODEL: Type.String({ default: 'meta-llama/llama-3.1-8b-instruct', minLength: 1, description: 'Model name sent to the provider.' }),
  MAX_TOKENS: Type.Integer({
    default: 500,
    minimum: 1,
    maximum: 8192,
    description: 'Upper bound on tokens the LLM may generate per answer.'
  }),
  LLM_TEMPERATURE: Type.Number({ default: 0.1, minimum: 0, maximum: 2, description: 'Sampling temperature.' }),
  LLM_TIMEOUT_MS: Type.Integer({ default: 30000, minimum: 100, maximum: 600000, description: 'Time limit for a whole LLM request.' }),
  LLM_FIRST_BYTE_TIMEOUT_MS: Type.Integer({
    default: 10000,
    minimum: 50,
    maximum: 600000,
    description: 'Time limit for the provider\'s first byte.'
  }),
  LLM_CONDENSE_TIMEOUT_MS: Type.Integer({
    default: 1500,
    minimum: 0,
    maximum: 60000,
    description: 'Time limit for asking the LLM to rewrite a follow-up question as a standalone one before retrieval; past it (or on ' +
      'any failure) the follow-up is retrieved with the previous turn instead. 0 turns the rewrite off.'
  }),
  LLM_MAX_RETRIES: Type.Integer({
    default: 2,
    minimum: 0,
    maximum: 5,
    description: 'Retries on 429, 5xx and connection errors (jittered backoff).'
  }),
  LLM_BREAKER_THRESHOLD: Type.Integer({
    default: 5,
    minimum: 1,
    maximum: 100,
    description: 'Consecutive LLM failures that open the circuit breaker.'
  }),
  LLM_BREAKER_COOLDOWN_MS: Type.Integer({
    default: 30000,
    minimum: 10,
    maximum: 3600000,
    description: 'How long the breaker stays open before a probe.'
  }),

  GUARDRAILS_LEVEL: Type.Enum(['strict', 'standard', 'off'], {
    default: 'standard',
    description: 'strict, standard or off (see docs/guardrails.md).'
  }),

  VECTOR_STORE_PATH: Type.String({ default: '', description: 'SQLite index file; empty means the committed index-data/policies.sqlite.' }),
  EMBEDDING_MODEL_PATH: Type.String({
    default: '',
    description: 'Folder with model.onnx + tokenizer.json; empty means the converted USE-Lite model in models/use-lite.'
  }),
  EMBEDDING_THREADS: Type.Integer({ default: 1, minimum: 1, maximum: 16, description: 'onnxruntime intra-op threads.' }),
  EMBEDDING_CACHE_SIZE: Type.Integer({
    default: 256,
    minimum: 0,
    maximum: 100000,
    description: 'Embeddings kept in the LRU cache: recent questions, and passage sentences the index has no stored vector for (about 2 ' +
      'KB each; 0 disables it).'
  }),
  RRF_K: Type.Integer({
    default: 10,
    minimum: 1,
    maximum: 1000,
    description: 'Reciprocal rank fusion constant k (lower: the top ranks of each list count more).'
  }),
  RRF_KEYWORD_WEIGHT: Type.Number({
    default: 2,
    minimum: 0,
    maximum: 10,
    description: 'Weight of the keyword ranking against the vector ranking (1) in the fusion.'
  }),
  RETRIEVAL_CANDIDATES: Type.Integer({
    default: 20,
    minimum: 1,
    maximum: 200,
    description: 'Candidates fetched from each of vector and keyword search before fusion.'
  }),

  MEMORY_LIMIT_MB: Type.Integer({
    default: 0,
    minimum: 0,
    maximum: 1048576,
    description: 'Memory limit in MB; the smaller of this and the cgroup limit applies; 0 = cgroup limit, else 512.'
  }),
  MEMORY_WARNING_FRACTION: Type.Number({
    default: 0.7,
    exclusiveMinimum: 0,
    maximum: 1,
    description: 'Utilisation above which a warning is logged.'
  }),
  MEMORY_PRESSURE_FRACTION: Type.Number({
    default: 0.85,
    exclusiveMinimum: 0,
    maximum: 1,
    description: 'Utilisation above which search and chat shed load (503 + Retry-After).'
  }),
  MAX_EVENT_LOOP_DELAY_MS: Type.Integer({
    default: 1000,
    minimum: 0,
    maximum: 60000,
    description: 'Event-loop delay above which search and chat shed load; 0 disables.'
  }),
  PRESSURE_SAMPLE_INTERVAL_MS: Type.Integer({
    default: 1000,
    minimum: 10,
    maximum: 60000,
    description: 'How often memory and event-loop delay are sampled.'
  }),
  RETRY_AFTER_S: Type.Integer({ default: 10, minimum: 1, maximum: 3600, description: 'Retry-After seconds sent with 503 under pressure.' }),

  API_KEYS: Type.String({
    default: '',
    description: 'Comma-separated keys; when set, /search, /chat, /documents and /admin/reload need `Authorization: Bearer <key>`. ' +
      'Never logged.'
  }),
  METRICS_REQUIRE_KEY: Type.Boolean({
    default: false,
    description: 'Also require an API key for /metrics and /stats (scrapers then send it).'
  }),
  RATE_LIMIT_MAX: Type.Integer({
    default: 120,
    minimum: 0,
    maximum: 1000000,
    description: 'Requests per client per window to /chat and /search (0 turns all rate limiting off); /health and /metrics are exempt.'
  }),
  RATE_LIMIT_LIGHT_MAX: Type.Integer({
    default: 600,
    minimum: 1,
    maximum: 1000000,
    description: 'Requests per client per window to every other route (/documents, /memory, /stats, /openapi.json, unknown paths): a ' +
      'bucket of its own.'
  }),
  RATE_LIMIT_AUTH_FAILURES: Type.Integer({
    default: 10,
    minimum: 0,
    maximum: 1000000,
    description: 'Failed API-key attempts (401) per client per window; past it the client gets 429 on every route until the window ends ' +
      '(0 turns this off).'
  }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ default: 60000, minimum: 1000, maximum: 86400000, description: 'Rate-limit window.' }),
  TRUST_PROXY: Type.String({
    default: '',
    description: 'Whose word gives the client\'s address for rate limiting: empty (the socket peer; no proxy trusted), `fly` (fly.io\'s ' +
      'Fly-Client-IP), a hop count (the last n X-Forwarded-For entries) or proxy addresses/CIDRs, comma-separated. See docs/deploy.md.'
  }),
  CORS_ORIGIN: Type.String({ default: '', description: 'Comma-separated origins allowed by CORS, or * for any; empty turns CORS off.' }),
  BODY_LIMIT_BYTES: Type.Integer({ default: 65536, minimum: 1024, maximum: 10485760, description: 'Largest accepted request body.' }),
  STREAM_STALL_TIMEOUT_MS: Type.Integer({
    default: 5000,
    minimum: 100,
    maximum: 600000,
    description: 'How long a streaming /chat client may stop reading before it is dropped and its LLM call cancelled; keep it below ' +
      'LLM_FIRST_BYTE_TIMEOUT_MS.'
  }),
  REQUEST_TIMEOUT_MS: Type.Integer({
    default: 60000,
    minimum: 1000,
    maximum: 600000,
    description: 'Time limit to receive a whole request.'
  }),
  KEEP_ALIVE_TIMEOUT_MS: Type.Integer({
    default: 75000,
    minimum: 1000,
    maximum: 600000,
    description: 'Idle keep-alive; longer than fly\'s proxy (60 s) so the proxy closes first.'
  }),
  SHUTDOWN_GRACE_MS: Type.Integer({
    default: 10000,
    minimum: 100,
    maximum: 120000,
    description: 'Time in-flight requests get to finish on SIGTERM/SIGINT.'
  })
}, { additionalProperties: true })

export type AppConfig = Static<typeof ConfigSchema>

let defaults: AppConfig | undefined

/** A setting's default, taken from the schema so that it is declared once (the LLM client's options fall back to these). */
export function configDefault<K extends keyof AppConfig> (key: K): AppConfig[K] {
  defaults ??= loadConfig({}, {})
  return defaults[key]
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/**
 * The schema env-schema gets, one object for every call: ajv caches what it compiles by schema object, so
 * the validator is compiled once per process (into the start-up snapshot, when the server starts from one).
 * A copy: env-schema sets additionalProperties false on it (pickKnown passes only known keys anyway).
 */
const envSchemaInput = { ...ConfigSchema }

/**
 * Validates the given environment (and overrides) into a typed config; reads nothing else, so tests
 * that pass `{}` are not affected by exported variables. Throws one line naming the offending variable.
 */
export function loadConfig (overrides: Partial<AppConfig> = {}, env: NodeJS.ProcessEnv = process.env): AppConfig {
  const data = { ...pickKnown(env), ...overrides }
  let config: AppConfig
  try {
    // env-schema merges process.env unless told not to.
    config = envSchema<AppConfig>({ schema: envSchemaInput, data, env: false, dotenv: false })
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${describe(err, data)}`)
  }
  const contradiction = findContradiction(config)
  if (contradiction !== undefined) throw new ConfigError(`Invalid configuration: ${contradiction}`)
  return { ...config, LLM_API_KEY: config.LLM_API_KEY || config.OPENROUTER_API_KEY }
}

/** Settings that pass one by one but cannot all hold: each would silently do something else than asked. */
export function findContradiction (config: AppConfig): string | undefined {
  if (config.MEMORY_WARNING_FRACTION > config.MEMORY_PRESSURE_FRACTION) {
    return `MEMORY_WARNING_FRACTION (${config.MEMORY_WARNING_FRACTION}) must not be above ` +
      `MEMORY_PRESSURE_FRACTION (${config.MEMORY_PRESSURE_FRACTION})`
  }
  if (config.METRICS_REQUIRE_KEY && parseApiKeys(config.API_KEYS).length === 0) {
    return 'METRICS_REQUIRE_KEY is true but API_KEYS is empty: /metrics and /stats would stay open; set API_KEYS or turn ' +
      'METRICS_REQUIRE_KEY off'
  }
  return undefined
}

function pickKnown (env: NodeJS.ProcessEnv): Record<string, string> {
  const known: Record<string, string> = {}
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key]
    if (value !== undefined) known[key] = value
  }
  return known
}

function describe (err: unknown, data: Record<string, unknown>): string {
  const message = err instanceof Error ? err.message : String(err)
  const first = message.split(',')[0] ?? message
  const match = /env\/(\w+)/.exec(first)
  if (!match) return first
  const key = match[1] as string
  const shown = key.includes('KEY') ? '(hidden)' : JSON.stringify(data[key])
  const allowed = (ConfigSchema.properties as Record<string, { enum?: unknown[] }>)[key]?.enum
  const rule = allowed ? `must be one of ${allowed.join(', ')}` : first.replace(/^env\/\w+\s*/, '')
  return `${key} ${rule} (got ${shown})`
}
