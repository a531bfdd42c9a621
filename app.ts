import AjvCompiler from '@fastify/ajv-compiler'
import SerializerSelector from '@fastify/fast-json-stringify-compiler'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyServerOptions
} from 'fastify'
import fp from 'fastify-plugin'
import { createRequire } from 'node:module'
import { hostname } from 'node:os'
import type { DestinationStream } from 'pino'
import { fastifyTrustProxy, parseTrustProxy } from './lib/ops/client-address.js'
import { loadConfig, type AppConfig } from './lib/config.js'
import { errorReply } from './lib/ops/error-reply.js'
import { lazySerializers, lazyValidators, sharedSerializers } from './lib/ops/lazy-compile.js'
import type { CompilerFactory, Serializer, Validator } from './lib/ops/lazy-compile.js'
import type { Embedder } from './lib/embedding/embedder.js'
import embedderPlugin from './plugins/app/embedder.js'
import appPlugins from './plugins/app/index.js'
import configPlugin from './plugins/config.js'
import externalPlugins from './plugins/external/index.js'
import routes from './routes/index.js'

// node:http is required when a first error is answered, not imported: an ESM import evaluates its lazy
// exports, which loads Node's bundled undici (a measurable share of start-up) for one table of reason
// phrases, and a V8 start-up snapshot (tools/build-snapshot.ts) cannot hold node:http at all.
const require = createRequire(import.meta.url)

export interface AppOptions {
  config: AppConfig
  /** Used instead of opening the model (plugins/app/embedder); the caller closes it. */
  embedder?: Embedder
}

/** The service as one plugin: config, third-party wrappers, capabilities, then routes. */
export const app: FastifyPluginAsync<AppOptions> = async (fastify, opts) => {
  await fastify.register(configPlugin, { config: opts.config })
  // Set before any route is added: a route keeps the error handler in force when it was defined.
  fastify.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `Route ${request.method} ${request.url} not found` })
  })
  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, message, code } = errorReply(error, { log: request.log })
    reply.code(status).send({ statusCode: status, error: httpReason(status), message, ...(code ? { code } : {}) })
  })
  // The API speaks JSON only: a text/plain body gets a 415 rather than a confusing schema error.
  fastify.removeContentTypeParser('text/plain')
  for (const plugin of externalPlugins) await fastify.register(plugin)
  for (const plugin of appPlugins) {
    if (plugin === embedderPlugin) await fastify.register(embedderPlugin, { embedder: opts.embedder })
    else await fastify.register(plugin)
  }
  for (const { plugin, prefix } of routes) await fastify.register(plugin, { prefix })
}

export interface BuildOptions {
  /** Values that win over the environment, so tests need no environment variables. */
  config?: Partial<AppConfig>
  /** Read settings from this instead of process.env (tests pass {}). */
  env?: NodeJS.ProcessEnv
  /** Write logs here instead of stdout (tests capture them). */
  logStream?: DestinationStream
  logger?: boolean
  /**
   * An embedder to use instead of opening the model; the caller closes it. The tests of one file share one: each
   * ONNX session costs about 0.1 s of CPU to open.
   */
  embedder?: Embedder
}

/** Builds the application; the server entry and every test use this same factory. */
export async function buildApp (options: BuildOptions = {}): Promise<FastifyInstance> {
  const config = loadConfig(options.config, options.env ?? process.env)
  const fastify = Fastify({
    ...serverOptions(config),
    logger: options.logger === false ? false : loggerOptions(config, options.logStream)
  }).withTypeProvider<TypeBoxTypeProvider>()
  await fastify.register(fp(app), { config, embedder: options.embedder })
  return fastify
}

// One of each per process, not per app: @fastify/ajv-compiler keeps one ajv per set of shared schemas and options (its
// meta-schemas compiled once) and ajv caches what it compiled by schema object, so apps built in the same process (the
// tests build many) compile each route's schemas once. Fastify builds a compiler per instance from these factories.
const buildValidator = lazyValidators(AjvCompiler() as CompilerFactory<unknown, Validator>) as ReturnType<typeof AjvCompiler>
const buildSerializer = lazySerializers(sharedSerializers(SerializerSelector() as CompilerFactory<{ schema?: unknown }, Serializer>))

export function serverOptions (config: AppConfig): FastifyServerOptions {
  return {
    // One line per request comes from the metrics plugin's onResponse hook instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.BODY_LIMIT_BYTES,
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    connectionTimeout: config.REQUEST_TIMEOUT_MS,
    return503OnClosing: true,
    // X-Forwarded-For is the client's to write: only the proxies TRUST_PROXY names are believed.
    trustProxy: fastifyTrustProxy(parseTrustProxy(config.TRUST_PROXY)),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
    // Fastify's own compilers (ajv, fast-json-stringify), each route's run on its first request rather than at start-up.
    schemaController: {
      compilersFactory: { buildValidator, buildSerializer }
    }
  }
}

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'config.LLM_API_KEY',
  'config.OPENROUTER_API_KEY',
  'config.API_KEYS',
  'LLM_API_KEY',
  'OPENROUTER_API_KEY',
  'API_KEYS',
  'apiKey',
  '*.apiKey'
]

function loggerOptions (config: AppConfig, stream?: DestinationStream): FastifyServerOptions['logger'] {
  // pid and hostname read now, not pino's defaults: those are read as pino is loaded, which for the start-up
  // snapshot (server-snapshot.ts) happens at build time, in another process and maybe on another host.
  const base = {
    level: config.LOG_LEVEL,
    base: { pid: process.pid, hostname: hostname() },
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' }
  }
  if (stream) return { ...base, stream }
  if (config.LOG_PRETTY) return { ...base, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } }
  return base
}

function httpReason (status: number): string {
  const { STATUS_CODES } = require('node:http') as typeof import('node:http')
  return STATUS_CODES[status] ?? 'Error'
}
