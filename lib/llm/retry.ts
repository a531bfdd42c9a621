export interface BackoffOptions {
  /** First retry waits about this long (default 250 ms). */
  baseMs?: number
  /** Upper bound of the exponential delay (default 4 s). */
  maxMs?: number
  /** Longest Retry-After the client is willing to wait (default 10 s). */
  maxRetryAfterMs?: number
  random?: () => number
}

/**
 * Retry-After as milliseconds: delta-seconds ("2", "1.5") or an HTTP-date
 * (all three RFC 9110 forms start with a day name).
 * Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfter (value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value
  if (raw === undefined) return undefined
  const text = raw.trim()
  if (text === '') return undefined
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  if (!/^[A-Za-z]{3}/.test(text)) return undefined
  const date = Date.parse(text)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/**
 * Delay before retry number `attempt` (0-based): "equal jitter" exponential
 * backoff, or the server's Retry-After when given. Null when the server asks
 * for longer than maxRetryAfterMs: retrying sooner would only be refused again.
 */
export function retryDelay (attempt: number, retryAfterMs: number | undefined, opts: BackoffOptions = {}): number | null {
  const maxRetryAfter = opts.maxRetryAfterMs ?? 10_000
  if (retryAfterMs !== undefined) return retryAfterMs > maxRetryAfter ? null : retryAfterMs
  const random = opts.random ?? Math.random
  const ceiling = Math.min(opts.maxMs ?? 4_000, (opts.baseMs ?? 250) * 2 ** attempt)
  return Math.round(ceiling / 2 + random() * ceiling / 2)
}
