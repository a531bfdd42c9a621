import type { FastifyInstance } from 'fastify'
import { Writable } from 'node:stream'
import { buildApp, type BuildOptions } from '../app.js'
import type { AppConfig } from '../lib/config.js'

interface TapLike { teardown(fn: () => unknown): void }

/** Builds the app with test settings (no environment variables read) and closes it after the test. */
export async function build (t: TapLike, config: Partial<AppConfig> = {}, options: Omit<BuildOptions, 'config'> = {}): Promise<FastifyInstance> {
  const app = await buildApp({ env: {}, logger: false, ...options, config: { LOG_LEVEL: 'warn', RATE_LIMIT_MAX: 0, ...config } })
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
