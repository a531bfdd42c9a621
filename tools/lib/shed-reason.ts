/**
 * Why the server shed a request, read from its log: a 503 under memory pressure and one from a busy event loop
 * (a loaded machine) call for different fixes, and a status code alone does not say which.
 */

/** under-pressure's type ("eventLoopDelay", "rssBytes", "heapUsedBytes"...) from a "request refused" JSON log line. */
export function shedReason (logLine: string): string | undefined {
  if (!logLine.includes('request refused')) return undefined
  try {
    const entry = JSON.parse(logLine) as { msg?: unknown, message?: unknown }
    if (entry.msg !== 'request refused' || typeof entry.message !== 'string') return undefined
    return /under pressure \((\w+)\)/.exec(entry.message)?.[1]
  } catch {
    return undefined
  }
}

/** How much each count grew since `before`; counts that did not grow are left out. */
export function countsSince (before: Readonly<Record<string, number>>, now: Readonly<Record<string, number>>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const [key, n] of Object.entries(now)) {
    const grown = n - (before[key] ?? 0)
    if (grown > 0) counts[key] = grown
  }
  return counts
}
