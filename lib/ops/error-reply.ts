import { ServiceError } from '../errors.js'

/**
 * The one error policy, whatever shape the body then takes (Fastify's for the service's routes,
 * OpenAI's under /v1). What a client may see is decided by the error's class: the service's own
 * errors (lib/errors.ts) keep their status, message and code; any other error keeps them below 500,
 * and at 500 or above (a bug, or Fastify's own 5xx) is logged and told only that it was.
 */
export interface ErrorLike {
  statusCode?: number | undefined
  code?: string | undefined
  message: string
}

export interface ErrorReplyDeps {
  log: { error(obj: object, msg: string): void, warn(obj: object, msg: string): void }
}

export interface ErrorReply { status: number, message: string, code?: string }

export function errorReply (error: ErrorLike, deps: ErrorReplyDeps): ErrorReply {
  const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500
  if (status >= 500 && !(error instanceof ServiceError)) {
    deps.log.error({ err: error }, 'request failed')
    return { status: 500, message: 'Something went wrong on our side; the error has been logged.' }
  }
  if (status >= 500) deps.log.warn({ code: error.code, message: error.message }, 'request refused')
  return { status, message: error.message, ...(error.code ? { code: error.code } : {}) }
}
