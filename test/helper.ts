import type { FastifyInstance } from 'fastify'
import { Writable } from 'node:stream'
import { buildApp, type BuildOptions } from '../app.js'
import type { AppConfig } from '../lib/config.js'

interface TapLike { teardown(fn: () => unknown): void }

/** Builds the app with test settings (no environment variables read) and closes it after the test. */
export async function build (t: TapLike, config: Partial<AppConfig> = {}, options: Omit<BuildOptions, 'config'> = {}): Promise<FastifyInstance> {
  // No shedding on event-loop delay unless a test asks: the first question loads the model, which stalls the loop
  // for about a second on a busy 2-core machine, and the requests behind it would be shed (503) at random.
  const app = await buildApp({ env: {}, logger: false, ...options, config: { LOG_LEVEL: 'warn', RATE_LIMIT_MAX: 0, MAX_EVENT_LOOP_DELAY_MS: 0, ...config } })
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
