import { test } from 'tap'
import { configDefault } from '../../../lib/config.js'
import { describeBaseUrl, isOpenRouter, llmSettings } from '../../../lib/llm/settings.js'

test('OpenRouter without a key is not configured', async (t) => {
  t.same(llmSettings({}), { configured: false, reason: 'LLM_API_KEY is not set' })
  t.same(llmSettings({ LLM_BASE_URL: configDefault('LLM_BASE_URL'), OPENROUTER_API_KEY: '  ' }).configured, false)
})

test('a key configures OpenRouter with every setting passed through', async (t) => {
  const settings = llmSettings({
    OPENROUTER_API_KEY: 'sk-or-v1-abc',
    LLM_MODEL: 'openai/gpt-4o-mini',
    MAX_TOKENS: 300,
    LLM_TEMPERATURE: 0,
    LLM_TIMEOUT_MS: 20_000,
    LLM_FIRST_BYTE_TIMEOUT_MS: 5_000,
    LLM_MAX_RETRIES: 1,
    LLM_BREAKER_THRESHOLD: 3,
    LLM_BREAKER_COOLDOWN_MS: 10_000
  }, { appName: 'policy-rag' })
  t.same(settings, {
    configured: true,
    options: {
      baseUrl: configDefault('LLM_BASE_URL'),
      apiKey: 'sk-or-v1-abc',
      model: 'openai/gpt-4o-mini',
      maxTokens: 300,
      temperature: 0,
      timeoutMs: 20_000,
      firstByteTimeoutMs: 5_000,
      maxRetries: 1,
      breaker: { threshold: 3, cooldownMs: 10_000 },
      appName: 'policy-rag'
    }
  })
})

test('any other base URL works without a key', async (t) => {
  const settings = llmSettings({ LLM_BASE_URL: 'http://127.0.0.1:11434/v1' })
  t.equal(settings.configured, true)
  if (settings.configured) {
    t.equal(settings.options.apiKey, undefined)
    t.equal(settings.options.baseUrl, 'http://127.0.0.1:11434/v1')
  }
})

test('isOpenRouter and describeBaseUrl', async (t) => {
  t.ok(isOpenRouter('https://openrouter.ai/api/v1'))
  t.ok(isOpenRouter('https://eu.openrouter.ai/api/v1'))
  t.notOk(isOpenRouter('https://notopenrouter.ai/v1'))
  t.notOk(isOpenRouter('not a url'))
  t.equal(describeBaseUrl('http://user:secret@llm.internal:8000/v1?key=x'), 'http://llm.internal:8000')
  t.equal(describeBaseUrl('nope'), '(invalid URL)')
})
