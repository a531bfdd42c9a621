import { detectAll } from 'tinyld/light'

// Short English questions carry these; a question with almost none of them and a non-English best guess is not English.
const ENGLISH_FUNCTION_WORDS = new Set((
  'a an the and or but if of to in on at for from by with about as into over under is are was were be been am ' +
  'do does did have has had i you he she we they it my your our their me us him her them what when where who whom which why how can ' +
  'could may might should would will shall must not no yes this that these those there here get got any all some many much more most ' +
  'after before during than then so just also only per off out up lol pls please thanks hi hey').split(' '))

export interface LanguageGuess {
  english: boolean
  /** ISO 639-1 code of the best guess ('en' when the English words settle it, '' when the detector has none). */
  language: string
}

/**
 * Whether a question is in English. tinyld alone misreads short English questions ("Is Windows 10 allowed on BYOD?" as Tagalog),
 * so a question counts as another language only when tinyld says so, fewer than a fifth of its words are English function words
 * and fewer than half are function words or words of `englishWords` (the policies' vocabulary).
 */
export function guessLanguage (question: string, englishWords: ReadonlySet<string> = new Set()): LanguageGuess {
  const text = question.normalize('NFKC')
  const words = text.toLowerCase().match(/\p{L}+/gu) ?? []
  const share = (known: (w: string) => boolean): number => words.filter(known).length / words.length
  // The shares are cheap and settle most questions; the detector (about 0.6 ms) runs only on the rest. Half the words
  // in the policies' own (English) vocabulary settles "review cycle dates" too; no question in another language comes near.
  if (
    words.length < 3 || share((w) => ENGLISH_FUNCTION_WORDS.has(w)) >= 0.2 ||
    share((w) => ENGLISH_FUNCTION_WORDS.has(w) || englishWords.has(w)) >= 0.5
  ) {
    return { english: true, language: 'en' }
  }
  const best = detectAll(text)[0]
  return { english: best === undefined || best.lang === 'en', language: best?.lang ?? '' }
}
