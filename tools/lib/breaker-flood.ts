/**
 * An LLM that hangs, met by concurrent chats: each of `workers` clients asks `rounds` questions one after another, and
 * every answer is recorded with whether the breaker was already open when it was asked. test/faults.test.ts checks what
 * the service answers; `npm run bench:breaker` reports how fast the answers came once the breaker was open.
 */
import type { FastifyInstance } from 'fastify'
import { performance } from 'node:perf_hooks'
import type { AppConfig } from '../../lib/config.js'

export interface FloodSample { afterOpen: boolean, ms: number, status: number, mode: string, reason?: string }

const QUESTIONS = ['How many vacation days do I get?', 'How many sick days do we get each year?', 'How do I claim travel expenses?']

/** The app's settings for the scenario: the breaker opens after three timeouts and stays open for the run. */
export function breakerFloodConfig (llmUrl: string, timeoutMs: number): Partial<AppConfig> {
  return {
    LLM_BASE_URL: llmUrl,
    LLM_TIMEOUT_MS: timeoutMs,
    LLM_FIRST_BYTE_TIMEOUT_MS: timeoutMs,
    LLM_MAX_RETRIES: 0,
    LLM_BREAKER_THRESHOLD: 3,
    LLM_BREAKER_COOLDOWN_MS: 60_000,
    // The process also holds tap or the benchmark: 512 MB would shed load for reasons that are not the service's.
    MEMORY_LIMIT_MB: 4096
  }
}

export async function breakerFlood (app: FastifyInstance, workers = 30, rounds = 3): Promise<FloodSample[]> {
  const samples: FloodSample[] = []
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; i < rounds; i++) {
      const afterOpen = app.llm.status() === 'circuit_open'
      const started = performance.now()
      const res = await app.inject({ method: 'POST', url: '/chat', payload: { question: QUESTIONS[(w + i) % QUESTIONS.length] } })
      const body = res.json() as { mode: string, reason?: string }
      samples.push({
        afterOpen,
        ms: performance.now() - started,
        status: res.statusCode,
        mode: body.mode,
        ...(body.reason === undefined ? {} : { reason: body.reason })
      })
    }
  }
  await Promise.all(Array.from({ length: workers }, async (_, w) => worker(w)))
  return samples
}
