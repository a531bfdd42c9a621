import { FTS_STOPWORDS } from './fts-query.js'

// The keyword search's stopwords, plus words that carry no meaning when comparing a question with a sentence.
const STOPWORDS: ReadonlySet<string> = new Set([
  ...FTS_STOPWORDS,
  ...('got may might must shall up whom yours some after before here just ' +
    'also more most much many very too not no yes ok please know want each every per').split(' ')
])

/** Lower-cased content words of a text, crudely stemmed, for term-overlap scoring. */
export function contentTerms (text: string): Set<string> {
  const terms = new Set<string>()
  for (const word of text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (word.length < 2 || STOPWORDS.has(word)) continue
    terms.add(stem(word))
  }
  return terms
}

function stem (word: string): string {
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3)
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2)
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1)
  return word
}

/** The lower-cased words (letters and digits) of some texts: the words the policies use. */
export function vocabularyOf (texts: Iterable<string>): Set<string> {
  const words = new Set<string>()
  for (const text of texts) for (const w of text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? []) words.add(w)
  return words
}
