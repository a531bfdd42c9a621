const STOPWORDS = new Set(('a an and are as at be been but by can could did do does for from get got had has have how i ' +
  'if in into is it its may me might must my of on or our shall should so than that the their them then there these ' +
  'they this to up us was we were what when where which who whom why will with would you your yours am any some ' +
  'about after before there here just also more most much many very too not no yes ok please tell know need want').split(' '))

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
