/** The text retrieval searches for: the question alone, for now. */
export function retrievalQuery (question: string, _history: ReadonlyArray<{ role: string, content: string }>): string {
  return question
}
