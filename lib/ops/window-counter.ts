import { LRUCache } from 'lru-cache'

interface Window { count: number, resetAt: number }

export interface WindowCounterOptions {
  windowMs: number
  /** Keys remembered at once; the least recently counted are forgotten first. */
  maxKeys?: number
  now?: () => number
}

/** Fixed-window counts per key (failed logins per client), bounded in memory. */
export class WindowCounter {
  readonly #windows: LRUCache<string, Window>
  readonly #windowMs: number
  readonly #now: () => number

  constructor (opts: WindowCounterOptions) {
    this.#windowMs = opts.windowMs
    this.#now = opts.now ?? Date.now
    this.#windows = new LRUCache({ max: opts.maxKeys ?? 10_000 })
  }

  add (key: string): number {
    const now = this.#now()
    const current = this.#live(key, now)
    const next = current === undefined ? { count: 1, resetAt: now + this.#windowMs } : { ...current, count: current.count + 1 }
    this.#windows.set(key, next)
    return next.count
  }

  /** The count in the current window and the milliseconds until it resets. */
  peek (key: string): { count: number, resetInMs: number } {
    const now = this.#now()
    const current = this.#live(key, now)
    return current === undefined ? { count: 0, resetInMs: 0 } : { count: current.count, resetInMs: current.resetAt - now }
  }

  #live (key: string, now: number): Window | undefined {
    const entry = this.#windows.peek(key)
    return entry !== undefined && entry.resetAt > now ? entry : undefined
  }
}
