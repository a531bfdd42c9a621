import exemplars from './exemplars.json' with { type: 'json' }
import { buildBank, type EmbedTexts, type VectorBank } from './semantic.js'

/** The banks the semantic layer compares a question with, embedded once by the model that embeds questions. */
export interface SemanticBanks {
  injection: VectorBank
  otherPerson: VectorBank
  offTopic: VectorBank
  /** Policy questions that use attack vocabulary innocently: counter-examples. */
  legit: VectorBank
  /** The corpus's document titles and section headings. */
  corpus: VectorBank
}

interface ExemplarFile {
  injection: Record<string, string[]>
  other_person_data: string[]
  off_topic: Record<string, string[]>
  legit: string[]
}

const EXEMPLARS: ExemplarFile = exemplars

function entries (groups: Record<string, string[]>): Array<{ label: string, text: string }> {
  return Object.entries(groups).flatMap(([label, texts]) => texts.map((text) => ({ label, text })))
}

function labelled (label: string, texts: readonly string[]): Array<{ label: string, text: string }> {
  return texts.map((text) => ({ label, text }))
}

/** Embeds the exemplar file and the corpus's headings (as "Title: Heading"): a few hundred short sentences. */
export async function buildSemanticBanks (
  embed: EmbedTexts,
  corpusHeadings: readonly string[],
  signal?: AbortSignal
): Promise<SemanticBanks> {
  return {
    injection: await buildBank(entries(EXEMPLARS.injection), embed, signal),
    otherPerson: await buildBank(labelled('other_person_data', EXEMPLARS.other_person_data), embed, signal),
    offTopic: await buildBank(entries(EXEMPLARS.off_topic), embed, signal),
    legit: await buildBank(labelled('legit', EXEMPLARS.legit), embed, signal),
    corpus: await buildBank(labelled('corpus', corpusHeadings), embed, signal)
  }
}

/** "Title: Heading" for every section of the corpus, from its markdown (`#` title, `##` sections). */
export function corpusHeadings (documents: ReadonlyArray<{ title: string, markdown: string }>): string[] {
  return documents.flatMap((d) => [
    d.title,
    ...[...d.markdown.matchAll(/^#{2,3}\s+(.+)$/gm)].map((m) => `${d.title}: ${(m[1] as string).trim()}`)
  ])
}
