import type { LlmClientOptions } from './client.js'

// Here rather than in client.ts: the plugin reads the settings at start-up, and importing client.ts
// would load undici (over 100 modules) even when no LLM is configured.
export const DEFAULT_LLM_BASE_URL = 'https://openrouter.ai/api/v1'

/** The LLM keys of the service's config; AppConfig satisfies it, and missing keys take defaults. */
export interface LlmConfig {
  LLM_BASE_URL?: string
  LLM_API_KEY?: string
  /** The former name, read when LLM_API_KEY is empty. */
  OPENROUTER_API_KEY?: string
  LLM_MODEL?: string
  MAX_TOKENS?: number
  LLM_TEMPERATURE?: number
  LLM_TIMEOUT_MS?: number
  LLM_FIRST_BYTE_TIMEOUT_MS?: number
  LLM_MAX_RETRIES?: number
  LLM_BREAKER_THRESHOLD?: number
  LLM_BREAKER_COOLDOWN_MS?: number
}

export type LlmSettings =
  | { configured: true, options: LlmClientOptions }
  | { configured: false, reason: string }

/**
 * OpenRouter needs a key; any other base URL (llama.cpp, Ollama, vLLM on a
 * private address) is taken to be usable as is, with the key sent if one is set.
 */
export function llmSettings (config: LlmConfig, extra: Pick<LlmClientOptions, 'appName' | 'appUrl'> = {}): LlmSettings {
  const baseUrl = nonEmpty(config.LLM_BASE_URL) ?? DEFAULT_LLM_BASE_URL
  const apiKey = nonEmpty(config.LLM_API_KEY) ?? nonEmpty(config.OPENROUTER_API_KEY)
  if (apiKey === undefined && isOpenRouter(baseUrl)) {
    return { configured: false, reason: 'LLM_API_KEY is not set' }
  }
  return {
    configured: true,
    options: {
      baseUrl,
      apiKey,
      model: nonEmpty(config.LLM_MODEL),
      maxTokens: config.MAX_TOKENS,
      temperature: config.LLM_TEMPERATURE,
      timeoutMs: config.LLM_TIMEOUT_MS,
      firstByteTimeoutMs: config.LLM_FIRST_BYTE_TIMEOUT_MS,
      maxRetries: config.LLM_MAX_RETRIES,
      breaker: { threshold: config.LLM_BREAKER_THRESHOLD, cooldownMs: config.LLM_BREAKER_COOLDOWN_MS },
      ...extra
    }
  }
}

export function isOpenRouter (baseUrl: string): boolean {
  try {
    const host = new URL(baseUrl).hostname
    return host === 'openrouter.ai' || host.endsWith('.openrouter.ai')
  } catch {
    return false
  }
}

/** The base URL without credentials, path or query: safe to log. */
export function describeBaseUrl (baseUrl: string): string {
  try {
    return new URL(baseUrl).origin
  } catch {
    return '(invalid URL)'
  }
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim()
}
