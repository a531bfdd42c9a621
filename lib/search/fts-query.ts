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

/**
 * The MATCH expression for a text, or null when it has no searchable word. `phrases` (synonyms of the text's words) are
 * searched as phrases: "days off" matches those two words together, not every passage saying "days" or "off".
 */
export function toFtsQuery (text: string, phrases: readonly string[] = []): string | null {
  const terms = ftsTerms(text)
  const alternatives = terms.map(quoteFts)
  const seen = new Set(terms)
  for (const phrase of phrases) {
    if (alternatives.length >= MAX_QUERY_TERMS) break
    const words = [...phrase.normalize('NFKC').toLowerCase().matchAll(WORD)].map((m) => m[0])
    // One word is a term like the text's (no stopword, no single letter); several are a phrase, every word kept.
    const key = words.length === 1 ? ftsTerms(phrase)[0] : words.join(' ')
    if (key === undefined || key === '' || seen.has(key)) continue
    seen.add(key)
    alternatives.push(quoteFts(key))
  }
  return alternatives.length === 0 ? null : alternatives.join(' OR ')
}
