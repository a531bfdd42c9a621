import { Type, type Static, type TObject, type TSchema, type TUnsafe } from 'typebox'

/**
 * A reference to a named schema (registered by plugins/app/schemas.ts with fastify.addSchema), typed
 * as the schema itself. OpenAPI shows it as `$ref: '#/components/schemas/<$id>'`.
 */
export function ref<T extends TSchema> (schema: T, options: { description?: string } = {}) {
  const id = (schema as { $id?: unknown }).$id
  if (typeof id !== 'string') throw new Error('ref() needs a schema with an $id')
  return Type.Unsafe<Static<T>>({ $ref: id, ...options })
}

/**
 * The object schema with the fields that have a `default` left out of `required`: clients may omit
 * them. Typed as the object with every field present, because ajv (useDefaults) fills them in
 * before the handler runs.
 */
export function defaultsOptional<T extends TObject> (schema: T) {
  const properties = schema.properties as Record<string, { default?: unknown }>
  const required = (schema.required ?? []).filter((key) => !('default' in (properties[key] ?? {})))
  return Type.Unsafe<Static<T>>({ ...schema, required })
}

/** Which edition of a policy a passage comes from; null where the policy does not say. */
export const DocumentVersionFields = {
  version: Type.Union([Type.String(), Type.Null()], { description: 'The policy\'s version, e.g. 3.2' }),
  effective_date: Type.Union([Type.String({ format: 'date' }), Type.Null()], { description: 'The date the policy took effect' }),
  source_url: Type.Union([Type.String(), Type.Null()], { description: 'Where the original policy is published' })
}

/** Any text with at least one non-space character. */
export const QueryText = (maxLength: number, description: string) =>
  Type.String({ minLength: 1, maxLength, pattern: '\\S', description })

/** Fastify's error shape: every 4xx/5xx body looks like this. */
export const ErrorSchema = Type.Object({
  statusCode: Type.Integer({ minimum: 400, maximum: 599 }),
  error: Type.String({ description: 'The HTTP reason phrase' }),
  message: Type.String({ description: 'What is wrong, in words a person can act on' }),
  code: Type.Optional(Type.String({ description: 'A stable error code, e.g. FST_ERR_VALIDATION or POLICY_RAG_UNKNOWN_CATEGORY' }))
}, {
  $id: 'Error',
  description: 'Error response',
  examples: [{
    statusCode: 400,
    error: 'Bad Request',
    message: 'body must have required property \'question\'',
    code: 'FST_ERR_VALIDATION'
  }]
})

/** An error response with its own description (OpenAPI's response description). */
export const errorResponse = (description: string) => ref(ErrorSchema, { description })

/** The 5xx every answering route lists: its message never says what failed. */
export const UnexpectedFailure = errorResponse('An unexpected failure (logged); the message says nothing more')

/** One named schema for several statuses, each status with its own description. */
export function responses<T extends TSchema, S extends number> (schema: T, descriptions: Record<S, string>) {
  const entries = Object.entries<string>(descriptions).map(([status, description]) => [status, ref(schema, { description })])
  return Object.fromEntries(entries) as Record<S, TUnsafe<Static<T>>>
}

/** A 200 that is JSON, or Server-Sent Events (each event one `schema` of `events`) when the client asks for a stream. */
export function jsonOrEventStream<J extends TSchema, E extends TSchema> (description: string, json: J, events: E) {
  return { description, content: { 'application/json': { schema: json }, 'text/event-stream': { schema: events } } }
}
