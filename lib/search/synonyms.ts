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
  const compiled = groups.map((group) => group.map((phrase) => ({ phrase, pattern: wholeWords(phrase) })))
  return {
    expansions (text, known = () => false) {
      const lower = text.toLowerCase().normalize('NFKC')
      const out: string[] = []
      for (const group of compiled) {
        if (!group.some(({ phrase, pattern }) => pattern.test(lower) && !known(phrase))) continue
        for (const { phrase, pattern } of group) if (!pattern.test(lower) && !out.includes(phrase)) out.push(phrase)
      }
      return out
    }
  }
}

function wholeWords (phrase: string): RegExp {
  const escaped = phrase.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '[\\s-]+')
  return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'u')
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
