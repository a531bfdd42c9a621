export type LlmErrorKind = 'timeout' | 'http' | 'network' | 'malformed' | 'too_large' | 'aborted' | 'circuit_open'

export interface LlmErrorOptions {
  status?: number
  retryable?: boolean
  retryAfterMs?: number
  cause?: unknown
}

/**
 * The one error type the LLM client throws. `retryable` says whether trying
 * again later may succeed (the client has already spent its own retries).
 */
export class LlmError extends Error {
  readonly kind: LlmErrorKind
  readonly status?: number
  readonly retryable: boolean
  readonly retryAfterMs?: number

  constructor (kind: LlmErrorKind, message: string, opts: LlmErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'LlmError'
    this.kind = kind
    this.status = opts.status
    this.retryable = opts.retryable ?? defaultRetryable(kind, opts.status)
    this.retryAfterMs = opts.retryAfterMs
  }
}

function defaultRetryable (kind: LlmErrorKind, status?: number): boolean {
  switch (kind) {
    case 'timeout':
    case 'network':
    case 'circuit_open':
      return true
    case 'http':
      return status !== undefined && isRetryableStatus(status)
    default:
      return false
  }
}

export function isRetryableStatus (status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}

export function isLlmError (err: unknown): err is LlmError {
  return err instanceof LlmError
}
