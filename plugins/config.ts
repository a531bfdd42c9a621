import fastifyEnv from '@fastify/env'
import fp from 'fastify-plugin'
import { ConfigSchema, type AppConfig } from '../lib/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig
  }
}

export interface ConfigPluginOptions {
  config: AppConfig
}

/**
 * Decorates `fastify.config` through @fastify/env (https://github.com/fastify/fastify-env).
 * The values were validated by buildApp already (they also shape the logger), so this
 * checks them once more against the same schema and publishes them.
 */
export default fp<ConfigPluginOptions>(async function configPlugin (fastify, opts) {
  await fastify.register(fastifyEnv, { schema: { ...ConfigSchema }, data: opts.config, env: false, dotenv: false })
}, { name: 'config' })
