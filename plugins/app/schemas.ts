import fp from 'fastify-plugin'
import { componentSchemas } from '../../schemas/index.js'

/**
 * The named schemas (schemas/) as fastify shared schemas, so routes can `$ref` them and
 * @fastify/swagger lists them once under components.schemas instead of inlining copies.
 */
export default fp(async function sharedSchemas (fastify) {
  for (const schema of componentSchemas) fastify.addSchema(schema)
}, { name: 'schemas' })
