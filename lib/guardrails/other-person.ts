/**
 * Requests for another person's data: a named or identifiable colleague's pay, rating, health, address, leave or
 * record, or who reported whom. The policies say how such things work in general; they never hold one person's.
 */

// Someone other than the asker: a role or relation, a group of colleagues, or a title before a name.
const THIRD_PARTY = new RegExp([
  String.raw`\b(?:my|our|this|that|his|her|their)\s+(?:new\s+|former\s+|old\s+)?(?:colleague` +
    String.raw`|co-?worker|teammate|team\s*mate|team\s+lead|deskmate|manager|boss|supervisor` +
    String.raw`|direct\s+reports?|employee|staff\s+member|new\s+hire|new\s+starter|intern` +
    String.raw`|assistant|ceo|cfo|cto|coo|director|predecessor|successor|team\s+members?)s?\b`,
  String.raw`\b(?:the|our)\s+(?:ceo|cfo|cto|coo|new\s+(?:hire|starter)\s+in|(?:new\s+)?head\s+of|vp\s+of)\b`,
  String.raw`\bwhich\s+(?:of\s+(?:my|our|the)\s+)?(?:employees?|colleagues?|co-?workers?` +
    String.raw`|people|persons?|team\s+members|staff|direct\s+reports)\b`,
  String.raw`\b(?:names?|list)\s+of\s+(?:the\s+)?(?:employees|people|colleagues|staff)\b`,
  String.raw`\b(?:everyone|anyone)\s+in\s+(?:my|our|the)\s+(?:team|department|office|group)\b`,
  String.raw`\bthe\s+(?:person|guy|woman|man|people)\s+(?:who|that|next|in|from)\b`,
  String.raw`\bwho\b[^.?!]{0,30}\bin\s+(?:my|our|the)\s+(?:team|department|office|group)\b`
].join('|'))
const TITLE_AND_NAME = /\b(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+[A-Z]/

// What the policies protect about a person.
const ATTRIBUTE = new RegExp(
  String.raw`\b(?:salary|salaries|paid|pay|earns?|earning|earned|make|makes|bonus(?:es)?` +
  String.raw`|raise|compensation|rating|ratings|rated|score|scored|appraisal|review|pip` +
  String.raw`|improvement\s+plan|sick|illness|ill|medical|condition|diagnos\w*|disability` +
  String.raw`|disabled|pregnan\w*|cancer|health|address|live|lives|phone\s+number|mobile(?:\s+number)?` +
  String.raw`|personal\s+(?:email|e-mail|phone|number|details)|contact\s+details|birthday` +
  String.raw`|date\s+of\s+birth|age|fired|dismissed|let\s+go|sacked|disciplin\w*|warning` +
  String.raw`|investigation|complain\w*|complaint|reported|report(?:ed)?\s+(?:me|him|her` +
  String.raw`|them)|whistle-?blow\w*|grievance|expenses?|claimed|visa|immigration|divorce` +
  String.raw`|resigned|resign|leave|days?\s+off|time\s+off|accommodation|religio\w*)\b`,
  'i'
)

// Asking for a fact about someone, not how something works or what the asker may do.
const FACT_QUESTION = new RegExp(
  String.raw`^(?:so\s+|and\s+|hey,?\s+|quick\s+question:?\s+)?(?:what(?:'s|\s+is|\s+was` +
  String.raw`|\s+are|\s+were|\s+did|\s+does|\s+medical|\s+salary|\s+bonus|\s+rating|\s+score)?` +
  String.raw`|how\s+(?:much|many|long|often)|is|was|are|were|did|does|has|have|why|when` +
  String.raw`|where|who|whom|which|whose|tell\s+me|give\s+me|show\s+me|list|can\s+you\s+(?:tell` +
  String.raw`|give|show|share|list|find)|could\s+you\s+(?:tell|give|show|share|list|find)` +
  String.raw`|do\s+you\s+know)\b`,
  'i'
)
// The asker's own situation or a how-to: "How do I report...", "Can my coworkers see my salary?".
const ABOUT_PROCEDURE = new RegExp(
  String.raw`^(?:how\s+(?:do|can|should|would|does|is|are)|what\s+(?:should|do|can|must` +
  String.raw`|happens|if)|can\s+(?:i|we|my|a|an|the)|may\s+i|should\s+i|do\s+i|am\s+i` +
  String.raw`|is\s+it|are\s+(?:we|there)|what\s+are\s+(?:the|my)\s+(?:rules|options|rights)` +
  String.raw`|who\s+(?:do|should|can)\s+i|who\s+(?:approves|decides|handles|is\s+responsible` +
  String.raw`|sets|can))\b`,
  'i'
)
const CAPITALISED_NAME = new RegExp(
  String.raw`(?<=[a-z0-9,']\s)(?!(?:I|HR|IT|PTO|BYOD|MFA|VPN|CEO|CFO|CTO|PIP|SSN|EU|UK` +
  String.raw`|US|USA|OK|ChatGPT|Windows|Android|iPhone|Mac|Monday|Tuesday|Wednesday|Thursday` +
  String.raw`|Friday|Saturday|Sunday|January|February|March|April|May|June|July|August` +
  String.raw`|September|October|November|December|English|London|Paris|Berlin|Madrid|Rome` +
  String.raw`|Europe|Slack|Teams|Zoom|Google|Microsoft|Workday|Concur)\b)[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\b`,
  'g'
)
const WHO_REPORTED = new RegExp([
  String.raw`\b(?:who|which\s+(?:employee|colleague|person|people|of\s+(?:my|our|the)` +
    String.raw`\s+\w+))\b[^.?!]{0,40}\b(?:reported|complained|filed|raised|made|blew|called` +
    String.raw`|contacted|talking\s+to|spoke\s+to)\b[^.?!]{0,40}\b(?:report|complaint|concern` +
    String.raw`|grievance|whistle|hotline|hr|about\s+me|against|harassment|fraud|misconduct|conflict)`,
  String.raw`\bwho\s+(?:reported|complained\s+about|told\s+on)\b`
].join('|'), 'i')

export interface OtherPersonMatch {
  rule: 'who_reported' | 'person_attribute'
}

/**
 * A question asking for someone else's personal data, recognised from its shape; null otherwise. `corpusWords` (lower-cased
 * words of the policies) keeps the company's own capitalised names ("Harbourline", "Ethics and Compliance") from reading as a person's.
 */
export function askForOtherPersonData (question: string, corpusWords: ReadonlySet<string> = new Set()): OtherPersonMatch | null {
  // Sentence by sentence: a request names the person and what it wants of them in one sentence, and a follow-up judged with
  // the turn it leans on ("What protections do whistleblowers get? and if it's about the CEO?") asks for no one's data.
  for (const sentence of question.normalize('NFKC').split(/(?<=[.?!])\s+/)) {
    const match = sentenceAsksForOtherPersonData(sentence.trim(), corpusWords)
    if (match !== null) return match
  }
  return null
}

function sentenceAsksForOtherPersonData (text: string, corpusWords: ReadonlySet<string>): OtherPersonMatch | null {
  if (ABOUT_PROCEDURE.test(text)) return null
  if (WHO_REPORTED.test(text)) return { rule: 'who_reported' }
  if (!FACT_QUESTION.test(text) || !ATTRIBUTE.test(text)) return null
  const named = [...text.matchAll(CAPITALISED_NAME)].some((m) => m[0].split(/\s+/).some((w) => !corpusWords.has(w.toLowerCase())))
  const someone = THIRD_PARTY.test(text.toLowerCase()) || TITLE_AND_NAME.test(text) || named
  return someone ? { rule: 'person_attribute' } : null
}

/** The lower-cased words of the policies, for askForOtherPersonData (the store's vocabulary() holds the same). */
export { vocabularyOf as corpusVocabulary } from '../search/terms.js'
