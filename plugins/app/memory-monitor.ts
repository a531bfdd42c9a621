import underPressure from '@fastify/under-pressure'
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { PerformanceObserver } from 'node:perf_hooks'
import { ConfigError } from '../../lib/config.js'
import { ServiceUnavailableError } from '../../lib/errors.js'
import { counter, stateGauge } from '../../lib/ops/metric.js'
import {
  ForcedGcPolicy,
  memoryLevel,
  readCgroupLimit,
  resolveMemoryLimit,
  toMb,
  type MemoryLevel,
  type MemoryLimit
} from '../../lib/ops/memory.js'

declare module 'fastify' {
  interface FastifyInstance {
    memoryMonitor: MemoryMonitor
  }
  interface FastifyContextConfig {
    /** Expensive routes set this: under pressure they answer 503 with Retry-After instead of running. */
    shedUnderPressure?: boolean
  }
}

export interface MemorySnapshot {
  rssBytes: number
  heapUsedBytes: number
  heapTotalBytes: number
  externalBytes: number
  limit: MemoryLimit
  utilization: number
  gcCollections: number
  forcedGcs: number
  level: MemoryLevel
}

export interface MemoryMonitor {
  snapshot(): MemorySnapshot
  /** True while search and chat are being shed (memory, heap or event-loop delay over their bounds). */
  underPressure(): boolean
  /** RSS as last sampled (every PRESSURE_SAMPLE_INTERVAL_MS): reading it fresh costs a /proc read per call. */
  sampledRssBytes(): number
}

/**
 * Memory figures for /memory and /health, warning logs on threshold crossings, and load
 * shedding through @fastify/under-pressure (https://github.com/fastify/under-pressure).
 * Only routes whose config sets `shedUnderPressure` are shed, so health checks keep answering.
 */
export default fp(async function memoryMonitor (fastify) {
  const config = fastify.config
  const limit = resolveMemoryLimit(config.MEMORY_LIMIT_MB, readCgroupLimit())
  checkLimitAgainstStartup(fastify.log, limit, config.MEMORY_LIMIT_MB, config.MEMORY_PRESSURE_FRACTION)
  const gc = countGarbageCollections()
  let forcedGcs = 0
  const forcedGcCounter = counter({
    name: 'memory_forced_gc_total',
    help: 'Full garbage collections asked of V8 under memory pressure (at most one per episode or minute)'
  })
  const forcedGcFreed = counter({ name: 'memory_forced_gc_freed_bytes_total', help: 'JS heap bytes those forced collections freed' })
  const gcPolicy = new ForcedGcPolicy()
  stateGauge('memory_limit_bytes', 'The memory limit in force (cgroup, MEMORY_LIMIT_MB or 512 MB)', () => limit.bytes)
  stateGauge('memory_under_pressure', '1 while search and chat are being shed', () => fastify.isUnderPressure() ? 1 : 0)
  let level: MemoryLevel = 'ok'

  await fastify.register(underPressure, {
    maxRssBytes: Math.floor(limit.bytes * config.MEMORY_PRESSURE_FRACTION),
    maxEventLoopDelay: config.MAX_EVENT_LOOP_DELAY_MS,
    sampleInterval: config.PRESSURE_SAMPLE_INTERVAL_MS,
    retryAfter: config.RETRY_AFTER_S,
    pressureHandler: (request: FastifyRequest, reply: FastifyReply, type: string) => {
      if (request.routeOptions.config.shedUnderPressure !== true) return undefined
      reply.header('Retry-After', String(config.RETRY_AFTER_S))
      return Promise.reject(new ServiceUnavailableError(type))
    }
  })

  function snapshot (): MemorySnapshot {
    const usage = process.memoryUsage()
    const utilization = Math.min(1, usage.rss / limit.bytes)
    return {
      rssBytes: usage.rss,
      heapUsedBytes: usage.heapUsed,
      heapTotalBytes: usage.heapTotal,
      externalBytes: usage.external,
      limit,
      utilization,
      gcCollections: gc.count(),
      forcedGcs,
      level: memoryLevel(utilization, config.MEMORY_WARNING_FRACTION, config.MEMORY_PRESSURE_FRACTION)
    }
  }

  // One log line per crossing, not per request; under pressure V8 gets one chance to collect first.
  const timer = setInterval(() => {
    const current = snapshot()
    if (typeof global.gc === 'function' && gcPolicy.shouldCollect(current.level, current.heapUsedBytes, Date.now())) {
      global.gc()
      forcedGcs++
      forcedGcCounter.inc()
      forcedGcFreed.inc(gcPolicy.collected(current.heapUsedBytes, process.memoryUsage().heapUsed, Date.now()))
    }
    if (current.level === level) return
    const figures = { rss_mb: toMb(current.rssBytes), limit_mb: toMb(limit.bytes), utilization: Number(current.utilization.toFixed(3)) }
    if (current.level === 'ok') fastify.log.info(figures, `memory recovered from ${level}`)
    else fastify.log.warn(figures, `memory ${current.level}: utilisation above the ${current.level} threshold`)
    level = current.level
  }, config.PRESSURE_SAMPLE_INTERVAL_MS)
  timer.unref()

  fastify.decorate('memoryMonitor', {
    snapshot,
    underPressure: () => fastify.isUnderPressure(),
    sampledRssBytes: () => fastify.memoryUsage().rssBytes || process.memoryUsage.rss()
  })

  fastify.addHook('onClose', async () => {
    clearInterval(timer)
    gc.stop()
  })
}, { name: 'memory-monitor', dependencies: ['config', 'rate-limit'] })

/**
 * A configured limit below what the process already uses would shed every search and chat from the
 * first request: refuse to start. A pressure threshold below it is logged once.
 */
function checkLimitAgainstStartup (log: FastifyBaseLogger, limit: MemoryLimit, configuredMb: number, pressureFraction: number): void {
  const rss = process.memoryUsage.rss()
  if (limit.source === 'config' && limit.bytes <= rss) {
    throw new ConfigError(`Invalid configuration: MEMORY_LIMIT_MB (${configuredMb}) is below the memory in use at start-up ` +
      `(${Math.ceil(toMb(rss))} MB): every search and chat would be refused; raise it, or set 0 to use the container's limit`)
  }
  if (limit.bytes * pressureFraction <= rss) {
    log.warn(
      { rss_mb: toMb(rss), limit_mb: toMb(limit.bytes), pressure_fraction: pressureFraction },
      'the load-shedding threshold is already exceeded at start-up: search and chat are refused until memory falls'
    )
  }
}

function countGarbageCollections (): { count(): number, stop(): void } {
  let count = 0
  const observer = new PerformanceObserver((list) => { count += list.getEntries().length })
  observer.observe({ entryTypes: ['gc'] })
  return { count: () => count, stop: () => observer.disconnect() }
}
