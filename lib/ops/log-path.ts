import { redactPii } from '../guardrails/pii.js'

const MAX_PATH_CHARS = 200

/**
 * What a request log line may say about the URL. Query strings go (`?api_key=...`); a matched
 * route is its pattern, so ids in the path (`/documents/jane@example.com`) never reach the log;
 * an unmatched path is kept for finding scanners, decoded, with PII redacted and its length capped.
 */
export function loggablePath (url: string, route: string | undefined): string {
  if (route !== undefined) return route
  const path = url.split('?', 1)[0] ?? ''
  return redactPii(decode(path)).text.slice(0, MAX_PATH_CHARS)
}

function decode (path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}
