import Fastify, { type FastifyInstance } from 'fastify'
import { Writable } from 'node:stream'
import type { Test } from 'tap'
import { buildApp, type BuildOptions } from '../app.js'
import { loadConfig, type AppConfig } from '../lib/config.js'
import configPlugin from '../plugins/config.js'

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
