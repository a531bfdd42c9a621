/**
 * The responses every route gets from the service's own machinery rather than from its handler
 * (API keys, the rate limiter, body parsing, load shedding), added to a route's schema for the
 * OpenAPI document only. Works on plain schema objects: @fastify/swagger's `transform` hands them over.
 */

/** How a route is protected and limited, read from its config and the service's settings. */
export interface OperationTraits {
  /** An API key is required (API_KEYS is set and the route is protected). */
  keyRequired: boolean
  /** The rate limiter counts this route. */
  rateLimited: boolean
  /** A POST/PUT/PATCH: its body is parsed, so it can be too large, malformed or of the wrong type. */
  takesBody: boolean
  /** Shed with a 503 under memory or event-loop pressure. */
  shed: boolean
  /** It has path or query parameters that are validated. */
  hasParams: boolean
  /** Its path has parameters: the router refuses one longer than maxParamLength with a 414. */
  pathParams: boolean
}

type Schema = Record<string, unknown>

const errorRef = (description: string, headers?: Schema): Schema => ({ $ref: 'Error', description, ...(headers ? { headers } : {}) })

// @fastify/swagger copies a response header's schema as given: REQUIRED marks the headers that are
// always sent, and liftRequiredHeaders() turns the mark into the header object's `required: true`.
const REQUIRED = 'x-required'
const retryAfter = { type: 'integer', minimum: 0, description: 'Seconds to wait before retrying' }

const RATE_LIMIT_HEADERS: Schema = {
  'Retry-After': { ...retryAfter, [REQUIRED]: true },
  'X-RateLimit-Limit': { type: 'integer', minimum: 0, description: 'Requests allowed per window', [REQUIRED]: true },
  'X-RateLimit-Remaining': { type: 'integer', minimum: 0, description: 'Requests left in this window', [REQUIRED]: true },
  'X-RateLimit-Reset': { type: 'integer', minimum: 0, description: 'Seconds until the window resets', [REQUIRED]: true }
}

/** The route's schema plus `security` and the responses its traits imply; declared responses are kept. */
export function documentOperation (schema: Schema, traits: OperationTraits): Schema {
  const declared = (schema.response ?? {}) as Schema
  const added: Schema = {}
  added[400] = traits.takesBody || traits.hasParams
    ? errorRef('The request is invalid: the message says which field and why')
    : errorRef('The HTTP request could not be parsed (a malformed header, say); answered before routing')
  if (traits.keyRequired) added[401] = errorRef(
    'No valid API key: send "Authorization: Bearer <key>"',
    { 'WWW-Authenticate': { type: 'string', const: 'Bearer', [REQUIRED]: true } }
  )
  if (traits.pathParams) added[414] = errorRef('A path parameter is longer than the router accepts (100 characters)')
  if (traits.takesBody) {
    added[413] = errorRef('The body is larger than the service accepts (BODY_LIMIT_BYTES)')
    added[415] = errorRef('The body is not JSON: send Content-Type: application/json')
  }
  if (traits.rateLimited) added[429] = errorRef('Too many requests from this client: wait Retry-After seconds')
  const response: Schema = { ...added, ...declared }
  // A route that declares its own 429 (another error shape) still gets the limiter's headers.
  if (traits.rateLimited) response[429] = { ...(response[429] as Schema), headers: RATE_LIMIT_HEADERS }
  if (traits.shed) {
    const own = declared[503] as Schema | undefined
    response[503] = {
      ...(own ?? errorRef('Overloaded: retry after Retry-After seconds')),
      headers: { 'Retry-After': { ...retryAfter, description: 'Seconds to wait; sent when the service sheds load' } }
    }
  }
  return { ...schema, response: sortByStatus(response), security: traits.keyRequired ? [{ bearerAuth: [] }] : [] }
}

function sortByStatus (responses: Schema): Schema {
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)))
}

interface Document { components?: { schemas?: Schema, securitySchemes?: Schema }, [key: string]: unknown }

/**
 * Drops the named schemas and security schemes nothing uses (ReloadResult and bearerAuth when no
 * API keys are configured), so the document lists only what this configuration serves.
 */
export function pruneUnusedComponents<T extends Document> (doc: T): T {
  const { schemas = {}, securitySchemes = {}, ...otherComponents } = doc.components ?? {}
  const { components: _components, ...rest } = doc
  const used = new Set<string>()
  const visit = (value: unknown): void => {
    const text = JSON.stringify(value)
    for (const [, name] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      if (name !== undefined && !used.has(name)) {
        used.add(name)
        visit(schemas[name])
      }
    }
  }
  visit(rest)
  const restText = JSON.stringify(rest)
  const keep = (table: Schema, isUsed: (name: string) => boolean): Schema =>
    Object.fromEntries(Object.entries(table).filter(([name]) => isUsed(name)))
  const components = {
    ...otherComponents,
    schemas: keep(schemas, (name) => used.has(name)),
    securitySchemes: keep(securitySchemes, (name) => restText.includes(`{"${name}":[`))
  }
  return { ...rest, components } as T
}

/** Moves the REQUIRED mark from a response header's schema to the header object (`required: true`). */
export function liftRequiredHeaders<T extends { paths?: unknown }> (doc: T): T {
  type Operation = { responses?: Record<string, { headers?: Record<string, Schema> }> }
  const operations = Object.values((doc.paths ?? {}) as Record<string, Record<string, Operation>>)
    .flatMap((ops) => Object.values(ops))
  for (const operation of operations) {
    for (const response of Object.values(operation.responses ?? {})) {
      for (const header of Object.values(response.headers ?? {})) {
        const schema = header.schema as Schema | undefined
        if (schema?.[REQUIRED] === true) {
          delete schema[REQUIRED]
          header.required = true
        }
      }
    }
  }
  return doc
}
