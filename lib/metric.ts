import client from 'prom-client'

/**
 * Metrics live in prom-client's default registry, one per process. Several apps built in one
 * process (tests) share them, so each metric is created once and found again after that.
 */
export function counter<T extends string> (config: client.CounterConfiguration<T>): client.Counter<T> {
  return (client.register.getSingleMetric(config.name) as client.Counter<T> | undefined) ?? new client.Counter(config)
}

export function histogram<T extends string> (config: client.HistogramConfiguration<T>): client.Histogram<T> {
  return (client.register.getSingleMetric(config.name) as client.Histogram<T> | undefined) ?? new client.Histogram(config)
}

export function gauge<T extends string> (config: client.GaugeConfiguration<T>): client.Gauge<T> {
  return (client.register.getSingleMetric(config.name) as client.Gauge<T> | undefined) ?? new client.Gauge(config)
}

let defaultsCollected = false
export function collectDefaultMetricsOnce (): void {
  if (defaultsCollected) return
  client.collectDefaultMetrics()
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
export function stateGauge (name: string, help: string, read: () => number): void {
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
