// Here rather than in client.ts: the plugin reads the settings at start-up, and importing client.ts
// would load undici (a large module tree) even when no LLM is configured.
import { configDefault, type AppConfig } from '../config.js'
import type { LlmClientOptions } from './client.js'

/**
 * The LLM keys of the service's config (OPENROUTER_API_KEY is the former name of LLM_API_KEY, read when
 * that is empty); AppConfig satisfies it, and missing keys take the schema's defaults.
 */
export type LlmConfig = Partial<Pick<AppConfig, 'LLM_BASE_URL' | 'LLM_API_KEY' | 'OPENROUTER_API_KEY' | 'LLM_MODEL' | 'MAX_TOKENS' |
  'LLM_TEMPERATURE' | 'LLM_TIMEOUT_MS' | 'LLM_FIRST_BYTE_TIMEOUT_MS' | 'LLM_MAX_RETRIES' | 'LLM_BREAKER_THRESHOLD' |
  'LLM_BREAKER_COOLDOWN_MS'>>

export type LlmSettings =
  | { configured: true, options: LlmClientOptions }
  | { configured: false, reason: string }

/**
 * OpenRouter needs a key; any other base URL (llama.cpp, Ollama, vLLM on a
 * private address) is taken to be usable as is, with the key sent if one is set.
 */
export function llmSettings (config: LlmConfig, extra: Pick<LlmClientOptions, 'appName' | 'appUrl'> = {}): LlmSettings {
  const baseUrl = nonEmpty(config.LLM_BASE_URL) ?? configDefault('LLM_BASE_URL')
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
