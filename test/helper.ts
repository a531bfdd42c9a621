import Fastify, { type FastifyInstance } from 'fastify'
import { Writable } from 'node:stream'
import tap, { type Test } from 'tap'
import { buildApp, type BuildOptions } from '../app.js'
import { loadConfig, type AppConfig } from '../lib/config.js'
import type { Embedder } from '../lib/embedding/embedder.js'
import { configuredEmbedder } from '../plugins/app/embedder.js'
import configPlugin from '../plugins/config.js'
import { startFakeLlmServer, type FakeLlmServer } from '../tools/lib/fake-llm-server.js'

/** Builds the app with test settings (no environment variables read) and closes it after the test. */
export async function build (
  t: Test,
  config: Partial<AppConfig> = {},
  options: Omit<BuildOptions, 'config'> = {}
): Promise<FastifyInstance> {
  // No shedding unless a test asks: the first question loads the model, which stalls the loop for about a second on a
  // busy 2-core machine, and this process's RSS also holds tap, tsx and every app the file built (the default limit is
  // 512 MB); requests would be shed (503) at random. Tests of shedding set these themselves.
  const app = await buildApp({
    env: {},
    logger: false,
    ...options,
    config: { LOG_LEVEL: 'warn', RATE_LIMIT_MAX: 0, MAX_EVENT_LOOP_DELAY_MS: 0, MEMORY_LIMIT_MB: 4096, ...config }
  })
  t.teardown(() => app.close())
  return app
}

let shared: Embedder | undefined

/**
 * One embedder (one ONNX session, about 0.1 s of CPU to open) for the apps of this test process that run the default
 * model: `build(t, config, { embedder: sharedEmbedder() })`. Its load state and its cache are shared too, so a test of
 * the model's loading, of /health before it, or of EMBEDDING_* settings builds its app without it. Closed at the end.
 */
export function sharedEmbedder (): Embedder {
  if (shared === undefined) {
    const embedder = configuredEmbedder(testConfig())
    tap.teardown(() => embedder.close())
    shared = embedder
  }
  return shared
}

/** The settings the app would read from an empty environment, with these overrides (process.env is not read). */
export function testConfig (overrides: Partial<AppConfig> = {}): AppConfig {
  return loadConfig(overrides, {})
}

/**
 * A bare Fastify holding only `fastify.config` (testConfig(overrides)), for a plugin tested alone: register the
 * plugin and its other dependencies, then `ready()`. Logs go to `logs` at `level` when given; closed after the test.
 */
export async function bareApp (t: Test, overrides: Partial<AppConfig> = {}, logs?: LogCapture, level = 'debug'): Promise<FastifyInstance> {
  const app = Fastify({ logger: logs === undefined ? false : { level, stream: logs.stream } })
  await app.register(configPlugin, { config: testConfig(overrides) })
  t.teardown(() => app.close())
  return app
}

export interface LogCapture {
  stream: Writable
  /** Every line logged so far (JSON text, one per line). */
  lines: () => string[]
  text: () => string
}

/** A log destination that keeps every line, for tests that read what was logged. */
export function captureLogs (): LogCapture {
  const chunks: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'))
      done()
    }
  })
  const text = (): string => chunks.join('')
  return { stream, text, lines: () => text().split('\n').filter(Boolean) }
}

export const TEST_LLM_KEY = 'test-key'

/** A fake OpenAI-compatible provider on 127.0.0.1, closed when the test ends. */
export async function fakeLlm (t: Test): Promise<FakeLlmServer> {
  const fake = await startFakeLlmServer()
  t.teardown(() => fake.close())
  return fake
}

/** The app pointed at the fake provider; no retries unless a test asks, so each request is one step. */
export function llmConfig (fake: FakeLlmServer, extra: Partial<AppConfig> = {}): Partial<AppConfig> {
  return {
    LLM_BASE_URL: fake.url,
    OPENROUTER_API_KEY: TEST_LLM_KEY,
    LLM_MAX_RETRIES: 0,
    LLM_TIMEOUT_MS: 5000,
    LLM_FIRST_BYTE_TIMEOUT_MS: 2000,
    ...extra
  }
}

/**
 * One provider and one app pointed at it (with the shared embedder), for the cases of a file that need no particular
 * LLM setting; every call resets the provider. Cases that change the app's state build their own.
 */
export async function sharedLlmApp (t: Test): Promise<() => { fake: FakeLlmServer, app: FastifyInstance }> {
  const provider = await fakeLlm(t)
  const app = await build(t, llmConfig(provider), { embedder: sharedEmbedder() })
  return () => {
    provider.reset()
    return { fake: provider, app }
  }
}
