import createError from '@fastify/error'

/**
 * The base of every error the service declares below: their messages are written for clients, so the
 * root error handler shows them, 5xx included. Any other error (Fastify's own, a bug) shows its message
 * only below 500.
 */
export class ServiceError extends Error {}

/** Every error the service answers with, declared once, with the service's own code prefix. */
function serviceError (code: string, message: string, statusCode: number) {
  // createError only takes Base's prototype (Object.create), so a class that cannot be called will do.
  return createError(`POLICY_RAG_${code}`, message, statusCode, ServiceError as ErrorConstructor)
}

export const ServiceUnavailableError = serviceError('SERVICE_UNAVAILABLE', 'Service is under pressure (%s): retry later', 503)
export const IndexUnavailableError = serviceError('INDEX_UNAVAILABLE', 'The policy index is unavailable: %s', 503)
export const ModelMismatchError = serviceError('MODEL_MISMATCH', 'Vector search is refused: the index was built with a different ' +
  'embedding model than the one loaded (see /health); use mode "keyword" or rebuild the index', 503)
export const EmbedderUnavailableError = serviceError('EMBEDDER_UNAVAILABLE', 'Vector search is unavailable: %s; use mode "keyword"', 503)
export const DocumentNotFoundError = serviceError('DOCUMENT_NOT_FOUND', 'No policy document with id "%s"', 404)
export const InvalidInputError = serviceError('INVALID_INPUT', '%s', 400)
export const UnknownCategoryError = serviceError('UNKNOWN_CATEGORY', 'Unknown category "%s": the index has %s', 400)
export const ModelNotFoundError = serviceError('MODEL_NOT_FOUND', 'The model "%s" does not exist: this service answers as "policy-rag"',
  404)
export const InvalidMessagesError = serviceError('INVALID_MESSAGES', '%s', 400)
export const UnauthorizedError = serviceError('UNAUTHORIZED', 'A valid API key is required: send "Authorization: Bearer <key>"', 401)
export const AuthFailuresError = serviceError('AUTH_RATE_LIMITED', 'Too many failed API-key attempts from this client: retry in %d seconds',
  429)
