/** Lone UTF-16 surrogates (a pair matches as one code point under the `u` flag, so it is kept). */
const LONE_SURROGATE = /\p{Cs}/gu

/**
 * Makes any JavaScript string safe to hand to the native tokenizer: unpaired surrogates become
 * U+FFFD (the reference tokenizer maps both to the unknown id). Control characters need nothing:
 * the vocabularies map them to the unknown token.
 */
export function sanitizeText (text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD')
}
