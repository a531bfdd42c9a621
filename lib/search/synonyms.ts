/**
 * Workplace synonyms (index-data/synonyms.json): employees ask with words the policies do not use
 * ("roll over" for carry over, "appraisal" for performance review). When a question holds a phrase
 * of a group, the group's other phrases are searched too. Matching is on whole words, so "stat"
 * does not fire inside "status".
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from '../paths.js'

interface SynonymFile { groups: string[][] }

export interface SynonymMap {
  /**
   * The phrases the text does not hold, from every group one of its phrases matched. With `known`
   * (does the corpus use this phrase?), only phrases the policies do not use are expanded: "sick"
   * finds itself, "roll over" needs "carry over".
   */
  expansions(text: string, known?: (phrase: string) => boolean): string[]
}

export function createSynonymMap (groups: readonly (readonly string[])[]): SynonymMap {
  const compiled = groups.map((group) => group.map((phrase) => ({ phrase, matches: phraseMatcher(phrase) })))
  return {
    expansions (text, known = () => false) {
      const words = wordsOf(text.toLowerCase().normalize('NFKC'))
      const out: string[] = []
      for (const group of compiled) {
        if (!group.some(({ phrase, matches }) => matches(words) && !known(phrase))) continue
        for (const { phrase, matches } of group) if (!matches(words) && !out.includes(phrase)) out.push(phrase)
      }
      return out
    }
  }
}

/**
 * A text as its runs of letters and digits (`\p{L}\p{N}`), each with the characters that precede it.
 * Matching phrases run by run replaced a Unicode-aware regular expression per phrase: compiling
 * the committed map's 466 of them cost about 0.3 s at start-up and testing them 2 ms per query.
 */
interface Words { runs: string[], gaps: string[], tail: string, has: ReadonlySet<string> }

const RUN = /[\p{L}\p{N}]+/gu

function wordsOf (text: string): Words {
  const runs: string[] = []
  const gaps: string[] = []
  let end = 0
  for (const m of text.matchAll(RUN)) {
    gaps.push(text.slice(end, m.index))
    runs.push(m[0])
    end = m.index + m[0].length
  }
  return { runs, gaps, tail: text.slice(end), has: new Set(runs) }
}

/**
 * Whole words: the phrase's runs equal consecutive runs of the text. Between two of them, spaces in
 * the phrase stand for any spaces and hyphens ("roll over" matches "roll-over"); other characters
 * ("carry-over", "doctor's") must be there as written.
 */
function phraseMatcher (phrase: string): (words: Words) => boolean {
  const { runs, gaps, tail } = wordsOf(phrase.toLowerCase())
  const first = runs[0]
  if (first === undefined || gaps[0] !== '' || tail !== '') throw new Error(`synonym "${phrase}" must begin and end with a letter or digit`)
  const gapPatterns = gaps.slice(1).map((gap) => new RegExp(`^${gap.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '[\\s-]+')}$`))
  return ({ runs: textRuns, gaps: textGaps, has }) => {
    if (!has.has(first)) return false
    for (let i = textRuns.indexOf(first); i !== -1 && i + runs.length <= textRuns.length; i = textRuns.indexOf(first, i + 1)) {
      const matches = runs.every((run, j) =>
        j === 0 || (textRuns[i + j] === run && gapPatterns[j - 1]?.test(textGaps[i + j] ?? '') === true))
      if (matches) return true
    }
    return false
  }
}

/** A phrase is known to a vocabulary when every word of it is. */
export function knownTo (vocabulary: ReadonlySet<string>): (phrase: string) => boolean {
  return (phrase) => (phrase.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).every((word) => vocabulary.has(word))
}

let shared: SynonymMap | undefined

/** The committed map, read once. */
export function workplaceSynonyms (): SynonymMap {
  shared ??= createSynonymMap((JSON.parse(readFileSync(join(repoRoot, 'index-data', 'synonyms.json'), 'utf8')) as SynonymFile).groups)
  return shared
}
