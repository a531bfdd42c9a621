/**
 * Turns any user text into a safe FTS5 MATCH expression: every word becomes a quoted FTS5 string,
 * so operators (AND, OR, NOT, NEAR), quotes, `*`, `^`, `-`, `:`, brackets and column names are
 * searched as words and never parsed as query syntax.
 */

/** Common question words that would otherwise dominate an OR query's BM25 ranking. */
export const FTS_STOPWORDS: ReadonlySet<string> = new Set([
  'a', 'about', 'am', 'an', 'and', 'any', 'are', 'as', 'at', 'be', 'been', 'but', 'by', 'can', 'could', 'did',
  'do', 'does', 'for', 'from', 'get', 'had', 'has', 'have', 'how', 'i', 'if', 'in', 'into', 'is', 'it', 'its',
  'me', 'my', 'of', 'on', 'or', 'our', 'should', 'so', 'than', 'that', 'the', 'their', 'them', 'then', 'there',
  'these', 'they', 'this', 'to', 'us', 'was', 'we', 'were', 'what', 'when', 'where', 'which', 'who', 'why',
  'will', 'with', 'would', 'you', 'your'
])

/** Bounds the work one query can cause. */
export const MAX_QUERY_TERMS = 32

const WORD = /[\p{L}\p{N}\p{M}]+/gu

/** The distinct, lower-cased search terms of a text, in order of first appearance. */
export function ftsTerms (text: string): string[] {
  const terms: string[] = []
  const seen = new Set<string>()
  for (const match of text.normalize('NFKC').matchAll(WORD)) {
    const term = match[0].toLowerCase()
    if ([...term].length < 2 || FTS_STOPWORDS.has(term) || seen.has(term)) continue
    seen.add(term)
    terms.push(term)
    if (terms.length === MAX_QUERY_TERMS) break
  }
  return terms
}

/** Quotes one term as an FTS5 string literal. */
export function quoteFts (term: string): string {
  return `"${term.replaceAll('"', '""')}"`
}

/** The MATCH expression for a text, or null when it has no searchable word. */
export function toFtsQuery (text: string): string | null {
  const terms = ftsTerms(text)
  return terms.length === 0 ? null : terms.map(quoteFts).join(' OR ')
}
