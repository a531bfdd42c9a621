import t from 'tap'
import AjvCompiler from '@fastify/ajv-compiler'
import SerializerSelector from '@fastify/fast-json-stringify-compiler'
import { lazySerializers, lazyValidators, sharedSerializers } from '../../../lib/ops/lazy-compile.js'
import type { CompilerFactory, Serializer, Validator } from '../../../lib/ops/lazy-compile.js'

interface Route { schema: unknown, method: string, url: string, httpPart?: string, httpStatus?: string }

/** Fastify's own factories, counting what they build. */
function counted<C> (factory: CompilerFactory<Route, C>): {
  factory: CompilerFactory<Route, C>
  built: { compilers: number, compiled: number }
} {
  const built = { compilers: 0, compiled: 0 }
  return {
    built,
    factory: (schemas, options) => {
      built.compilers++
      const compile = factory(schemas, options)
      return (route) => {
        built.compiled++
        return compile(route)
      }
    }
  }
}

const shared = {
  'Thing.v1': {
    $id: 'Thing.v1',
    type: 'object',
    properties: { name: { type: 'string' }, size: { type: 'integer', default: 1 } },
    required: ['name']
  }
}

t.test('validators compile on their first use, once, and behave as ajv\'s: errors after a false, defaults applied', async (t) => {
  const { factory, built } = counted(AjvCompiler() as CompilerFactory<Route, Validator>)
  const compilerFor = lazyValidators(factory)(
    shared,
    { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } }
  )
  const validate = compilerFor({ schema: { $ref: 'Thing.v1#' }, method: 'POST', url: '/things', httpPart: 'body' })
  t.same(built, { compilers: 0, compiled: 0 }, 'nothing built before a request')

  t.equal(validate({ size: 2 }, { parentData: {}, parentDataProperty: 'body' }), false)
  t.match(validate.errors, [{ keyword: 'required', params: { missingProperty: 'name' } }], 'the errors of the failed call')
  const body: Record<string, unknown> = { name: 'a' }
  t.equal(validate(body, { parentData: { body }, parentDataProperty: 'body' }), true)
  t.equal(validate.errors, null, 'no errors after a pass')
  t.equal(body.size, 1, 'the schema\'s default was applied')
  t.ok(validate.schemaEnv, 'Fastify hands it the parent, as it does to ajv\'s functions')
  t.same(built, { compilers: 1, compiled: 1 }, 'compiled once')
})

t.test('serializers compile on their first use, once, and write what fast-json-stringify writes', async (t) => {
  const { factory, built } = counted(SerializerSelector() as CompilerFactory<Route, Serializer>)
  const compilerFor = lazySerializers(factory)(shared, {})
  const serialize = compilerFor({ schema: { $ref: 'Thing.v1#' }, method: 'GET', url: '/things', httpStatus: '200' })
  compilerFor({ schema: { type: 'string' }, method: 'GET', url: '/other', httpStatus: '200' })
  t.same(built, { compilers: 0, compiled: 0 }, 'nothing built before a response')
  t.equal(serialize({ name: 'a', size: 2, secret: 'x' }), '{"name":"a","size":2}', 'only the schema\'s fields')
  t.equal(serialize({ name: 'b', size: 3 }), '{"name":"b","size":3}')
  t.same(built, { compilers: 1, compiled: 1 }, 'one compiler, one serializer: the other route\'s was never needed')
})

t.test('a schema that does not compile fails the request that needs it, every time', async (t) => {
  const serialize = lazySerializers(SerializerSelector() as CompilerFactory<Route, Serializer>)({}, {})({
    schema: { $ref: 'Missing#' },
    method: 'GET',
    url: '/x',
    httpStatus: '200'
  })
  t.throws(() => serialize({}))
  t.throws(() => serialize({}), 'not remembered as compiled')
})

t.test('shared serializers: each schema compiled once for every instance with the same shared schemas and options', async (t) => {
  const { factory, built } = counted(SerializerSelector() as CompilerFactory<Route, Serializer>)
  const shared2 = sharedSerializers(factory)
  const thing = { $ref: 'Thing.v1#' }
  const route = (schema: unknown): Route => ({ schema, method: 'GET', url: '/things', httpStatus: '200' })
  const first = shared2(shared, {})(route(thing))
  const second = shared2(shared, {})(route(thing))
  t.equal(second, first, 'the second instance gets the first one\'s serializer')
  t.equal(second({ name: 'a', size: 2, secret: 'x' }), '{"name":"a","size":2}')
  t.equal(built.compiled, 1, 'compiled once')

  const other = shared2(shared, {})(route({ ...thing }))
  t.not(other, first, 'another schema object is compiled for itself')
  const rounded = shared2(shared, { rounding: 'floor' })(route(thing))
  t.not(rounded, first, 'other options: another serializer')
  const extended = { ...shared, 'Other.v1': { $id: 'Other.v1', type: 'string' } }
  t.not(shared2(extended, {})(route(thing)), first, 'other shared schemas: another serializer')
  t.equal(built.compiled, 4)
})
