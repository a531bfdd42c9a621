/**
 * The one error policy, whatever shape the body then takes (Fastify's for the service's routes,
 * OpenAI's under /v1): a damaged index is a 503, an unexpected 5xx is logged and told only
 * that it was, anything else keeps its status, message and code.
 */
export interface ErrorLike {
  statusCode?: number | undefined
  code?: string | undefined
  message: string
}

export interface ErrorReplyDeps {
  /** True when the error says the index file is damaged (the store then goes unavailable). */
  reportFailure(err: unknown): boolean
  log: { error(obj: object, msg: string): void, warn(obj: object, msg: string): void }
}

export interface ErrorReply { status: number, message: string, code?: string }

export function errorReply (error: ErrorLike, deps: ErrorReplyDeps): ErrorReply {
  const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500
  if (status >= 500 && deps.reportFailure(error)) {
    return { status: 503, message: 'The policy index is unavailable: the file is damaged (see the service log)', code: 'FST_INDEX_UNAVAILABLE' }
  }
  if (status >= 500 && error.code?.startsWith('FST_') !== true) {
    deps.log.error({ err: error }, 'request failed')
    return { status: 500, message: 'Something went wrong on our side; the error has been logged.' }
  }
  if (status >= 500) deps.log.warn({ code: error.code, message: error.message }, 'request refused')
  return { status, message: error.message, ...(error.code ? { code: error.code } : {}) }
}
