/**
 * Fastify compiles every route's request validators (ajv) and response serializers
 * (fast-json-stringify) while the app starts: about half of the start-up's CPU here, for routes
 * most instances never serve before they are stopped again. These wrap a compilers factory
 * (Fastify's `schemaController.compilersFactory`) so that each validator or serializer is
 * compiled by the first request that needs it, and the compiler itself (an ajv instance, the
 * shared schemas resolved) is built by the first of them.
 */

/** What Fastify hands a compilers factory: the shared schemas and the server's options for that compiler. */
export type CompilerFactory<Route, Compiled> = (externalSchemas: unknown, options: unknown) => (route: Route) => Compiled

export type Serializer = (data: unknown) => string

/** An ajv validate function as Fastify uses it: it reads `errors` after a false, and passes the parent to one with `schemaEnv`. */
export interface Validator {
  (data: unknown, parent?: unknown): unknown
  errors?: unknown
  schemaEnv?: unknown
}

export function lazySerializers<Route> (factory: CompilerFactory<Route, Serializer>): CompilerFactory<Route, Serializer> {
  return (externalSchemas, options) => {
    const compiler = once(() => factory(externalSchemas, options))
    return (route) => {
      const serializer = once(() => compiler()(route))
      return (data) => serializer()(data)
    }
  }
}

export function lazyValidators<Route> (factory: CompilerFactory<Route, Validator>): CompilerFactory<Route, Validator> {
  return (externalSchemas, options) => {
    const compiler = once(() => factory(externalSchemas, options))
    return (route) => {
      const validator = once(() => compiler()(route))
      const validate: Validator = (data, parent) => {
        const real = validator()
        const result = real(data, parent)
        validate.errors = real.errors
        return result
      }
      // Fastify passes { parentData, parentDataProperty } only to a function that looks like ajv's
      // (so ajv may replace the whole request part, e.g. to apply a default); hand it on.
      validate.schemaEnv = true
      return validate
    }
  }
}

/**
 * One serializer per response schema (by object) and compiler settings, for every Fastify instance of the process that
 * asks: Fastify makes its compilers per instance, and a process that builds many apps of the same routes (a test file)
 * would compile each response schema again for each. @fastify/ajv-compiler pools its validators the same way.
 */
export function sharedSerializers<Route extends { schema?: unknown }> (
  factory: CompilerFactory<Route, Serializer>
): CompilerFactory<Route, Serializer> {
  const pool = new Map<string, WeakMap<object, Serializer>>()
  return (externalSchemas, options) => {
    const key = JSON.stringify([externalSchemas, options])
    const compiled = pool.get(key) ?? new WeakMap<object, Serializer>()
    pool.set(key, compiled)
    const compile = factory(externalSchemas, options)
    return (route) => {
      const schema = route.schema
      if (typeof schema !== 'object' || schema === null) return compile(route)
      const known = compiled.get(schema)
      if (known !== undefined) return known
      const serializer = compile(route)
      compiled.set(schema, serializer)
      return serializer
    }
  }
}

function once<T> (make: () => T): () => T {
  let value: T | undefined
  let made = false
  return () => {
    if (!made) {
      value = make()
      made = true
    }
    return value as T
  }
}
