import type { FastifyInstance } from 'fastify'
import { Writable } from 'node:stream'
import { buildApp, type BuildOptions } from '../app.js'
import type { AppConfig } from '../lib/config.js'

interface TapLike { teardown(fn: () => unknown): void }

/** Builds the app with test settings (no environment variables read) and closes it after the test. */
export async function build (t: TapLike, config: Partial<AppConfig> = {}, options: Omit<BuildOptions, 'config'> = {}): Promise<FastifyInstance> {
  // No shedding unless a test asks: the first question loads the model, which stalls the loop for about a second on a
  // busy 2-core machine, and this process's RSS also holds tap, tsx and every app the file built (the default limit is
  // 512 MB); requests would be shed (503) at random. Tests of shedding set these themselves.
  const app = await buildApp({ env: {}, logger: false, ...options, config: { LOG_LEVEL: 'warn', RATE_LIMIT_MAX: 0, MAX_EVENT_LOOP_DELAY_MS: 0, MEMORY_LIMIT_MB: 4096, ...config } })
  t.teardown(() => app.close())
  return app
}

/** A log destination that keeps every line, for tests that read what was logged. */
export function captureLogs (): { stream: Writable, lines: () => string[], text: () => string } {
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
