import fp from 'fastify-plugin'
import { loggablePath } from '../../lib/ops/log-path.js'
import { collectDefaultMetricsOnce, counter, histogram, infoGauge, RollingMean } from '../../lib/ops/metric.js'
import { version } from '../../lib/ops/version.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Probes (health checks, scrapes) log their successful requests at debug, not info: one line every few
     * seconds per checker is noise.
     */
    quietLog?: boolean
  }
  interface FastifyInstance {
    metrics: {
      /** Mean duration of the last 100 requests, in ms, for /health. */
      responseTimeAvgMs(): number
    }
  }
}

/**
 * Prometheus metrics with prom-client (https://github.com/siimon/prom-client): process and
 * runtime defaults, request counts and latency by route and status. Also writes the one log
 * line per request (Fastify's own request logging is off), so both see the same figures; routes
 * with `quietLog` (probes) write it at debug level unless they fail. The line names the route, never
 * the query string or the ids in a path (lib/ops/log-path).
 */
export default fp(async function metrics (fastify) {
  collectDefaultMetricsOnce()
  const requests = counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status_code']
  })
  const duration = histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
  })
  const recent = new RollingMean(100)
  // Read at scrape time: the embedder and the index are decorated by plugins that load after this one, and SIGHUP may swap the index.
  const buildHelp = 'The running build: service version, Node version, embedding model ' +
    'and the indexed corpus\'s sha256 (first 12 hex digits)'
  infoGauge('build_info', buildHelp, ['version', 'node', 'model', 'index_sha'], () => ({
    version,
    node: process.versions.node,
    model: fastify.hasDecorator('embedder') ? fastify.embedder.card.id : 'unknown',
    index_sha: fastify.hasDecorator('policyIndex') ? fastify.policyIndex.current?.meta.corpus_sha256.slice(0, 12) ?? 'none' : 'none'
  }))

  fastify.decorate('metrics', { responseTimeAvgMs: () => recent.value })

  fastify.addHook('onResponse', async (request, reply) => {
    const ms = reply.elapsedTime
    const route = request.routeOptions.url ?? 'unmatched'
    const labels = { method: request.method, route, status_code: String(reply.statusCode) }
    requests.inc(labels)
    duration.observe(labels, ms / 1000)
    recent.add(ms)
    const quiet = request.routeOptions.config.quietLog === true && reply.statusCode < 400
    const path = loggablePath(request.url, request.routeOptions.url)
    request.log[quiet ? 'debug' : 'info'](
      { method: request.method, route, path, status: reply.statusCode, duration_ms: Math.round(ms * 100) / 100 },
      'request completed'
    )
  })
}, { name: 'metrics' })
