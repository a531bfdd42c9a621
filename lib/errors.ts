import createError from '@fastify/error'

export const ServiceUnavailableError = createError('FST_SERVICE_UNAVAILABLE', 'Service is under pressure (%s): retry later', 503)
export const IndexUnavailableError = createError('FST_INDEX_UNAVAILABLE', 'The policy index is unavailable: %s', 503)
export const ModelMismatchError = createError('FST_MODEL_MISMATCH', 'Vector search is refused: the index was built with a different embedding model than the one loaded (see /health); use mode "keyword" or rebuild the index', 503)
export const EmbedderUnavailableError = createError('FST_EMBEDDER_UNAVAILABLE', 'Vector search is unavailable: %s; use mode "keyword"', 503)
export const DocumentNotFoundError = createError('FST_DOCUMENT_NOT_FOUND', 'No policy document with id "%s"', 404)
export const InvalidInputError = createError('FST_INVALID_INPUT', '%s', 400)
export const ModelNotFoundError = createError('FST_MODEL_NOT_FOUND', 'The model "%s" does not exist: this service answers as "policy-rag"', 404)
export const InvalidMessagesError = createError('FST_INVALID_MESSAGES', '%s', 400)
export const AuthFailuresError = createError('FST_AUTH_RATE_LIMITED', 'Too many failed API-key attempts from this client: retry in %d seconds', 429)
