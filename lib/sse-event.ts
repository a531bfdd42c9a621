/** One Server-Sent Event: `event:` line, the JSON data on one `data:` line, blank line. */
export function sseEvent (event: string, data: unknown): string {
  // JSON.stringify never emits raw newlines, so one data line always suffices.
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

/** Splits a composed answer into word-sized tokens, so non-LLM answers stream like LLM ones. */
export function tokenize (answer: string): string[] {
  return answer.match(/\S+\s*/g) ?? []
}

/** One unnamed Server-Sent Event (`data:` only), as OpenAI's streams send them; `[DONE]` goes as is. */
export function sseData (data: unknown): string {
  return `data: ${data === '[DONE]' ? data : JSON.stringify(data)}\n\n`
}
