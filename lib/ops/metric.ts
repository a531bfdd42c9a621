import client from 'prom-client'

/**
 * The service's own metrics all carry this prefix, added here and only here, so they cannot collide
 * with another exporter's; prom-client's process_* and nodejs_* defaults keep their standard names.
 */
export const METRIC_PREFIX = 'policy_rag_'

/** The exposed name of a service metric (idempotent: a name already prefixed is kept). */
export function metricName (name: string): string {
  return name.startsWith(METRIC_PREFIX) ? name : `${METRIC_PREFIX}${name}`
}

/**
 * Metrics live in prom-client's default registry, one per process. Several apps built in one
 * process (tests) share them, so each metric is created once and found again after that.
 */
export function counter<T extends string> (config: client.CounterConfiguration<T>): client.Counter<T> {
  const named = { ...config, name: metricName(config.name) }
  return (client.register.getSingleMetric(named.name) as client.Counter<T> | undefined) ?? new client.Counter(named)
}

export function histogram<T extends string> (config: client.HistogramConfiguration<T>): client.Histogram<T> {
  const named = { ...config, name: metricName(config.name) }
  return (client.register.getSingleMetric(named.name) as client.Histogram<T> | undefined) ?? new client.Histogram(named)
}

export function gauge<T extends string> (config: client.GaugeConfiguration<T>): client.Gauge<T> {
  const named = { ...config, name: metricName(config.name) }
  return (client.register.getSingleMetric(named.name) as client.Gauge<T> | undefined) ?? new client.Gauge(named)
}

let defaultsCollected = false
export function collectDefaultMetricsOnce (): void {
  if (defaultsCollected) return
  client.collectDefaultMetrics()
  // Gauges named *_total break the exposition format's conventions (promtool flags them); the same
  // figures stay available as nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    client.register.removeSingleMetric(name)
  }
  defaultsCollected = true
}

export const registry = client.register

/** Mean of the last `size` samples, O(1) per sample. */
export class RollingMean {
  private readonly samples: number[] = []
  private sum = 0
  constructor (private readonly size = 100) {}

  add (value: number): void {
    this.samples.push(value)
    this.sum += value
    if (this.samples.length > this.size) this.sum -= this.samples.shift() as number
  }

  get value (): number {
    return this.samples.length === 0 ? 0 : this.sum / this.samples.length
  }
}

const readers = new Map<string, () => number>()

/**
 * A gauge whose value is read when scraped. The newest app to register a reader for it wins,
 * so tests that build many apps in one process read the live one.
 */
export function stateGauge (shortName: string, help: string, read: () => number): void {
  const name = metricName(shortName)
  readers.set(name, read)
  if (client.register.getSingleMetric(name) !== undefined) return
  new client.Gauge({
    name,
    help,
    collect () {
      this.set(readers.get(name)?.() ?? 0)
    }
  })
}

const infoReaders = new Map<string, () => Record<string, string>>()

/** An info metric (value 1, the facts as labels) read when scraped; the newest app's reader wins, as for stateGauge. */
export function infoGauge<T extends string> (
  shortName: string, help: string, labelNames: readonly T[], read: () => Record<T, string>
): void {
  const name = metricName(shortName)
  infoReaders.set(name, read)
  if (client.register.getSingleMetric(name) !== undefined) return
  new client.Gauge<string>({
    name,
    help,
    labelNames: [...labelNames],
    collect () {
      this.reset()
      const labels = infoReaders.get(name)?.()
      if (labels !== undefined) this.set(labels, 1)
    }
  })
}
