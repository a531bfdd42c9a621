import fp from 'fastify-plugin'
import type { LlmClient, LlmClientOptions } from '../../lib/llm/client.js'
import type { LlmState } from '../../schemas/health.js'
import { describeBaseUrl, llmSettings } from '../../lib/llm/settings.js'

declare module 'fastify' {
  interface FastifyInstance {
    llm: LlmService
  }
}

export interface LlmService {
  /** For /health: a half-open circuit reads `operational`, so the next call can be its probe. */
  status (): LlmState
  /** Null when no LLM is configured: answer extractively. */
  readonly client: LlmClient | null
}

export interface LlmPluginOptions {
  /** Use this client instead of one built from config (tests); null forces "not configured". The caller closes it. */
  client?: LlmClient | null
  /** OpenRouter attribution: X-Title (default "policy-rag") and HTTP-Referer. */
  appName?: string
  appUrl?: string
}

/**
 * Decorates `fastify.llm` with an OpenAI-compatible chat client (lib/llm/client:
 * undici Pool, retries, circuit breaker) built from the LLM_* config keys and
 * LLM_API_KEY (or its former name OPENROUTER_API_KEY), which is never logged.
 */
export default fp<LlmPluginOptions>(async function llmPlugin (fastify, opts) {
  const client = opts.client !== undefined ? opts.client : await createFromConfig()
  const owned = opts.client === undefined ? client : null

  fastify.decorate('llm', {
    client,
    status (): LlmState {
      if (client === null) return 'not_configured'
      return client.breaker.state === 'open' ? 'circuit_open' : 'operational'
    }
  })

  fastify.addHook('onClose', async () => {
    await owned?.close()
  })

  async function createFromConfig (): Promise<LlmClient | null> {
    const settings = llmSettings(fastify.config, { appName: opts.appName ?? 'policy-rag', appUrl: opts.appUrl })
    if (!settings.configured) {
      fastify.log.info({ reason: settings.reason }, 'LLM not configured: answers will be extractive')
      return null
    }
    const options: LlmClientOptions = {
      ...settings.options,
      breaker: {
        ...settings.options.breaker,
        onStateChange: (state, previous) => fastify.log.warn({ state, previous }, 'LLM circuit breaker changed state')
      }
    }
    // Loaded only when an LLM is configured: undici is a noticeable share of start-up time.
    const { ChatCompletionsClient } = await import('../../lib/llm/client.js')
    const created = new ChatCompletionsClient(options)
    fastify.log.info({ llm: describeBaseUrl(created.baseUrl), model: created.model }, 'LLM client ready')
    return created
  }
}, { name: 'llm', dependencies: ['config'] })
