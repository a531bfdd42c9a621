import type { FastifyInstance } from 'fastify'
import { test, type Test } from 'tap'
import type { AppConfig } from '../../../lib/config.js'
import { ChatCompletionsClient } from '../../../lib/llm/client.js'
import llmPlugin, { type LlmPluginOptions } from '../../../plugins/app/llm.js'
import { DEFAULT_FAKE_ANSWER, startFakeLlmServer } from '../../../tools/lib/fake-llm-server.js'
import { bareApp, captureLogs } from '../../helper.js'

const KEY = 'sk-or-v1-plugin-secret-987654321'


async function build (
  t: Test,
  config: Partial<AppConfig>,
  opts: LlmPluginOptions = {}
): Promise<{ app: FastifyInstance, logs: () => string }> {
  const logs = captureLogs()
  const app = await bareApp(t, config, logs)
  await app.register(llmPlugin, opts)
  await app.ready()
  return { app, logs: logs.text }
}

test('without a key for OpenRouter the LLM is not configured', async (t) => {
  const { app, logs } = await build(t, { LLM_BASE_URL: 'https://openrouter.ai/api/v1', OPENROUTER_API_KEY: '' })
  t.equal(app.llm.client, null)
  t.equal(app.llm.status(), 'not_configured')
  t.match(logs(), /LLM_API_KEY is not set/)
})

test('missing config keys take defaults', async (t) => {
  const { app } = await build(t, {})
  t.equal(app.llm.status(), 'not_configured')
})

test('a key configures the client and is never logged', async (t) => {
  const { app, logs } = await build(t, { OPENROUTER_API_KEY: KEY, LLM_MODEL: 'openai/gpt-4o-mini' })
  t.equal(app.llm.status(), 'operational')
  t.equal(app.llm.client?.model, 'openai/gpt-4o-mini')
  t.equal(app.llm.client?.baseUrl, 'https://openrouter.ai/api/v1')
  t.match(logs(), /LLM client ready/)
  t.notMatch(logs(), KEY)
})

test('a keyless local server answers through the configured client', async (t) => {
  const server = await startFakeLlmServer()
  t.teardown(() => server.close())
  const { app } = await build(t, { LLM_BASE_URL: server.url, LLM_MODEL: 'local/llama', MAX_TOKENS: 128, LLM_TEMPERATURE: 0.3 })
  t.equal(app.llm.status(), 'operational')
  const result = await app.llm.client?.complete({ messages: [{ role: 'user', content: 'hi' }] })
  t.equal(result?.text, DEFAULT_FAKE_ANSWER)
  const req = server.requests[0]
  t.equal(req?.headers.authorization, undefined)
  t.equal(req?.headers['x-title'], 'policy-rag')
  t.match(req?.body, { model: 'local/llama', max_tokens: 128, temperature: 0.3 })
})

test('an open circuit shows in status() and is logged', async (t) => {
  const server = await startFakeLlmServer({ default: { status: 500 } })
  t.teardown(() => server.close())
  const { app, logs } = await build(t, {
    LLM_BASE_URL: server.url,
    LLM_MAX_RETRIES: 0,
    LLM_BREAKER_THRESHOLD: 1,
    LLM_BREAKER_COOLDOWN_MS: 60_000
  })
  const err = await app.llm.client?.complete({ messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)
  t.match(err, { kind: 'http', status: 500 })
  t.equal(app.llm.status(), 'circuit_open')
  t.match(logs(), /LLM circuit breaker changed state/)
})

test('closing the app closes the pool it created', async (t) => {
  const server = await startFakeLlmServer()
  t.teardown(() => server.close())
  const { app } = await build(t, { LLM_BASE_URL: server.url, LLM_MAX_RETRIES: 2 })
  const client = app.llm.client
  await app.close()
  t.ok(client)
  const err = await client?.complete({ messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)
  t.match(err, { kind: 'network', retryable: false })
  t.equal(server.requests.length, 0)
})

test('an injected client is used as is and left open', async (t) => {
  const server = await startFakeLlmServer()
  const client = new ChatCompletionsClient({ baseUrl: server.url })
  t.teardown(async () => {
    await client.close()
    await server.close()
  })
  const { app } = await build(t, { OPENROUTER_API_KEY: KEY }, { client })
  t.equal(app.llm.client, client)
  await app.close()
  t.equal((await client.complete({ messages: [{ role: 'user', content: 'hi' }] })).text, DEFAULT_FAKE_ANSWER)

  const { app: none } = await build(t, { OPENROUTER_API_KEY: KEY }, { client: null })
  t.equal(none.llm.status(), 'not_configured')
})
