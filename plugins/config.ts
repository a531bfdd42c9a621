import fp from 'fastify-plugin'
import type { AppConfig } from '../lib/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig
  }
}

export interface ConfigPluginOptions {
  config: AppConfig
}

/**
 * Decorates `fastify.config` with the settings buildApp validated with lib/config (they shape the
 * logger too). Validating them a second time (@fastify/env) compiled the schema again at every start.
 */
export default fp<ConfigPluginOptions>(async function configPlugin (fastify, opts) {
  fastify.decorate('config', opts.config)
}, { name: 'config' })
