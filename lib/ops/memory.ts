import { readFileSync } from 'node:fs'

import type { LimitSource } from '../../schemas/memory.js'

export interface MemoryLimit { bytes: number, source: LimitSource }

const MB = 1024 * 1024
export const DEFAULT_LIMIT_MB = 512
// cgroup v1 reports "no limit" as a page-rounded 2^63; anything above 1 PiB means unlimited.
const UNLIMITED_ABOVE = 2 ** 50

const CGROUP_FILES = ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']

/** The cgroup's memory limit in bytes, or undefined where there is none (or no cgroup). */
export function readCgroupLimit (files: readonly string[] = CGROUP_FILES): number | undefined {
  for (const file of files) {
    let text: string
    try {
      text = readFileSync(file, 'utf8').trim()
    } catch {
      continue
    }
    const bytes = Number(text)
    if (text === 'max' || !Number.isFinite(bytes) || bytes <= 0 || bytes >= UNLIMITED_ABOVE) return undefined
    return bytes
  }
  return undefined
}

/** The smaller of the cgroup limit and the configured one; 512 MB when neither is set. */
export function resolveMemoryLimit (configuredMb: number, cgroupBytes: number | undefined): MemoryLimit {
  const configured = configuredMb > 0 ? configuredMb * MB : undefined
  if (configured !== undefined && (cgroupBytes === undefined || configured <= cgroupBytes)) {
    return { bytes: configured, source: 'config' }
  }
  if (cgroupBytes !== undefined) return { bytes: cgroupBytes, source: 'cgroup' }
  return { bytes: DEFAULT_LIMIT_MB * MB, source: 'default' }
}

export type MemoryLevel = 'ok' | 'warning' | 'pressure'

export function memoryLevel (utilization: number, warningFraction: number, pressureFraction: number): MemoryLevel {
  if (utilization >= pressureFraction) return 'pressure'
  if (utilization >= warningFraction) return 'warning'
  return 'ok'
}

export function toMb (bytes: number): number {
  return Math.round((bytes / MB) * 10) / 10
}

/**
 * When the memory monitor may ask V8 for a full collection: once as a pressure episode starts, then
 * at most once per interval while it lasts, and only when the JS heap has grown since the last forced
 * collection (much of the RSS is native memory that no JS collection frees).
 */
export class ForcedGcPolicy {
  private lastAt = Number.NEGATIVE_INFINITY
  private heapAfterLast = 0
  private inEpisode = false

  constructor (private readonly intervalMs = 60_000, private readonly minHeapGrowthBytes = 4 * MB) {}

  shouldCollect (level: MemoryLevel, heapUsedBytes: number, now: number): boolean {
    if (level !== 'pressure') {
      this.inEpisode = false
      return false
    }
    const episodeStarts = !this.inEpisode
    this.inEpisode = true
    if (!episodeStarts && now - this.lastAt < this.intervalMs) return false
    return heapUsedBytes - this.heapAfterLast >= this.minHeapGrowthBytes
  }

  /** Records a collection; returns the bytes it freed from the JS heap. */
  collected (heapBeforeBytes: number, heapAfterBytes: number, now: number): number {
    this.lastAt = now
    this.heapAfterLast = heapAfterBytes
    return Math.max(0, heapBeforeBytes - heapAfterBytes)
  }
}
