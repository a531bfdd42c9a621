import { LlmError } from './errors.js'

export type BreakerState = 'closed' | 'open' | 'half_open'

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (default 5; the client passes LLM_BREAKER_THRESHOLD's). */
  threshold?: number
  /** How long the circuit stays open before one probe is let through (default 30 s). */
  cooldownMs?: number
  /** Clock in ms; injectable for tests. */
  now?: () => number
  onStateChange?: (state: BreakerState, previous: BreakerState) => void
}

/** One admitted call. Settle it exactly once; later calls are ignored. */
export interface BreakerPermit {
  success (): void
  failure (): void
  /** No verdict (e.g. the caller aborted): neither a success nor a failure. */
  release (): void
}

/**
 * closed → open after `threshold` consecutive failures; open → half_open once
 * the cooldown has passed (checked lazily, so an injected clock is enough);
 * half_open admits a single probe whose success closes and whose failure
 * reopens. Results of calls admitted in an earlier state are ignored, so a
 * slow call started before the circuit opened cannot close it.
 */
export class CircuitBreaker {
  readonly threshold: number
  readonly cooldownMs: number
  #now: () => number
  #onStateChange?: CircuitBreakerOptions['onStateChange']
  #state: BreakerState = 'closed'
  #generation = 0
  #failures = 0
  #openedAt = 0
  #probeInFlight = false

  constructor (opts: CircuitBreakerOptions = {}) {
    this.threshold = Math.max(1, Math.floor(opts.threshold ?? 5))
    this.cooldownMs = Math.max(0, opts.cooldownMs ?? 30_000)
    this.#now = opts.now ?? Date.now
    this.#onStateChange = opts.onStateChange
  }

  get state (): BreakerState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.cooldownMs) {
      this.#transition('half_open')
    }
    return this.#state
  }

  get consecutiveFailures (): number {
    return this.#failures
  }

  /** Milliseconds until a probe is admitted (0 unless open). */
  get retryInMs (): number {
    if (this.state !== 'open') return 0
    return Math.max(0, this.#openedAt + this.cooldownMs - this.#now())
  }

  tryAcquire (): BreakerPermit | null {
    const state = this.state
    if (state === 'open') return null
    if (state === 'half_open') {
      if (this.#probeInFlight) return null
      this.#probeInFlight = true
      return this.#permit(true)
    }
    return this.#permit(false)
  }

  /** Throws LlmError('circuit_open') instead of returning null. */
  acquire (): BreakerPermit {
    const permit = this.tryAcquire()
    if (permit === null) {
      throw new LlmError('circuit_open', `LLM circuit is open; next probe in ${this.retryInMs} ms`, {
        retryAfterMs: this.retryInMs
      })
    }
    return permit
  }

  /**
   * Runs fn under a permit. `isFailure` decides which errors count against the
   * circuit (default: all); errors that do not count release the permit.
   */
  async run<T> (fn: () => Promise<T>, isFailure: (err: unknown) => boolean = () => true): Promise<T> {
    const permit = this.acquire()
    try {
      const value = await fn()
      permit.success()
      return value
    } catch (err) {
      if (isFailure(err)) permit.failure()
      else permit.release()
      throw err
    }
  }

  #permit (probe: boolean): BreakerPermit {
    const generation = this.#generation
    let settled = false
    const settle = (verdict: 'success' | 'failure' | 'release'): void => {
      if (settled) return
      settled = true
      if (generation !== this.#generation) return
      if (probe) this.#probeInFlight = false
      if (verdict === 'success') this.#onSuccess()
      else if (verdict === 'failure') this.#onFailure()
    }
    return {
      success: () => settle('success'),
      failure: () => settle('failure'),
      release: () => settle('release')
    }
  }

  #onSuccess (): void {
    this.#failures = 0
    if (this.#state !== 'closed') this.#transition('closed')
  }

  #onFailure (): void {
    this.#failures++
    if (this.#state === 'half_open' || this.#failures >= this.threshold) {
      this.#openedAt = this.#now()
      this.#transition('open')
    }
  }

  #transition (next: BreakerState): void {
    const previous = this.#state
    if (previous === next) return
    this.#state = next
    this.#generation++
    if (next === 'half_open') this.#probeInFlight = false
    this.#onStateChange?.(next, previous)
  }
}
