import type { GuardrailsLevel } from './types.js'
import { mentionsWorkplace } from './topics.js'

export interface OffTopicEvidence {
  question: string
  /** Best cosine similarity from vector search; undefined when it was not run. */
  topVectorScore?: number
  /** Best -bm25 from keyword search; undefined when it found nothing. */
  topKeywordScore?: number
}

export interface OffTopicThresholds {
  vector: number
  keyword: number
}

export type OffTopicIntent =
  'coding' | 'creative_writing' | 'weather' | 'markets' | 'politics' | 'entertainment' | 'general_knowledge' | 'other_company'

interface IntentRule {
  intent: OffTopicIntent
  re: RegExp
  /** Hard rules hold even when the question mentions work; soft ones yield to any workplace word. */
  hard: boolean
}

const LANGUAGES =
  String.raw`(?:python|javascript|typescript|java|c#|c\+\+|golang|go|rust|ruby|php|perl` +
  String.raw`|kotlin|swift|scala|sql|bash|shell|powershell|html|css|react|node(?:\.js)?` +
  String.raw`|vba|excel\s+formula|regex|r)`
const ARTIFACTS =
  String.raw`(?:script|function|program|code|class|method|query|regex|regular\s+expression` +
  String.raw`|snippet|app|application|algorithm|macro|loop|api|website|unit\s+tests?)`
const COMPANIES =
  String.raw`(?:google|alphabet|amazon|microsoft|apple|meta|facebook|netflix|tesla|ibm|` +
  String.raw`oracle|salesforce|uber|airbnb|twitter|openai|nvidia|intel|walmart|deloitte` +
  String.raw`|accenture|mckinsey|jp\s?morgan|goldman\s+sachs|spacex|spotify|linkedin|adobe` +
  String.raw`|samsung|sap|shopify|stripe)`

const INTENT_RULES: IntentRule[] = [
  { intent: 'coding', hard: true, re: new RegExp(
    String.raw`\b(?:write|create|generate|give\s+me|code|implement|build|make)\s+(?:me\s+)?(?:an?\s+` +
    String.raw`|some\s+|the\s+)?(?:${LANGUAGES}\s+)${ARTIFACTS}\b`) },
  { intent: 'coding', hard: true, re: new RegExp(
    String.raw`\b(?:write|create|generate|give\s+me|implement)\s+(?:me\s+)?(?:an?\s+|some\s+` +
    String.raw`|the\s+)?(?:${ARTIFACTS})\s+(?:that|which|to|for)\b`) },
  { intent: 'coding', hard: true, re: new RegExp(
    String.raw`\b(?:in|using|with)\s+${LANGUAGES}\b[^.?!]{0,40}\b(?:how\s+(?:do|can)\s+i` +
    String.raw`|write|implement|sort|parse|reverse|loop|convert)\b|\bhow\s+(?:do|can)\s+i\s+(?:sort` +
    String.raw`|parse|reverse|iterate|loop|concatenate|split|convert|declare|import)\b[^.?!]{0,60}\bin\s+${LANGUAGES}\b`) },
  { intent: 'coding', hard: true, re: new RegExp([
    String.raw`\b(?:debug|fix|refactor|optimi[sz]e|review|explain)\s+(?:this|my|the\s+following)\s+` +
      String.raw`(?:code|function|script|program|query|regex|stack\s*trace|error)\b`,
    '```',
    String.raw`\b(?:def|function|class)\s+\w+\s*\(|\bconsole\.log\(|\bprint\(|#include\s*<|\bpublic\s+static\s+void\b`,
    String.raw`\bselect\s+[\w*, ]+\s+from\s+\w+`,
    String.raw`\b(?:syntaxerror|typeerror|nullpointerexception|segmentation\s+fault|traceback\s+\(most\s+recent)`
  ].join('|')) },
  { intent: 'creative_writing', hard: true, re: new RegExp([
    String.raw`\b(?:write|compose|generate|create)\s+(?:me\s+)?(?:an?\s+|some\s+)?(?:poem` +
      String.raw`|song|story|haiku|limerick|rap|joke|sonnet|essay|novel|screenplay|lyrics)\b`,
    String.raw`\btell\s+me\s+(?:an?\s+)?(?:joke|story|riddle)\b`
  ].join('|')) },
  { intent: 'weather', hard: false, re: new RegExp([
    String.raw`\b(?:weather|forecast|temperature|humidity)\b[^.?!]{0,30}\b(?:today|tomorrow` +
      String.raw`|tonight|this\s+week(?:end)?|next\s+week|in\s+[a-z]+|like|outside|be)\b`,
    String.raw`\bwill\s+it\s+(?:rain|snow|be\s+sunny|be\s+hot|be\s+cold)\b|\bweather\s+forecast\b`
  ].join('|')) },
  { intent: 'markets', hard: false, re: new RegExp([
    String.raw`\b(?:stock|share)\s+price\b|\bprice\s+of\s+(?:bitcoin|ethereum|gold|oil|crypto)\b`,
    String.raw`\b(?:bitcoin|ethereum|dogecoin|crypto(?:currency)?|nasdaq|s&p\s*500|dow\s+jones)\b`,
    String.raw`\bshould\s+i\s+(?:buy|sell|invest\s+in|short)\b`
  ].join('|')) },
  { intent: 'politics', hard: false, re: new RegExp([
    String.raw`\b(?:what\s+do\s+you\s+think|your\s+(?:opinion|view|take|thoughts)|do\s+you\s+(?:support` +
      String.raw`|like|agree|prefer)|who\s+(?:will|should|would)\s+(?:win|i\s+vote|we\s+vote)` +
      String.raw`|who\s+should\s+i\s+vote|is\s+it\s+(?:right|wrong)\s+that)\b[^.?!]{0,60}\b(?:trump` +
      String.raw`|biden|harris|obama|election|democrats?|republicans?|tories|labour\s+party` +
      String.raw`|abortion|gun\s+control|brexit|putin|ukraine|israel|gaza|palestine|politics` +
      String.raw`|political|president|prime\s+minister|immigration|religion|god)\b`,
    String.raw`\bwho\s+(?:will|is\s+going\s+to)\s+win\s+the\s+(?:election|presidency)\b|\bwho\s+should\s+i\s+vote\s+for\b`
  ].join('|')) },
  { intent: 'entertainment', hard: false, re: new RegExp(
    String.raw`\b(?:recipe|recipes|cook|bake|movie|movies|film|tv\s+show|netflix\s+series` +
    String.raw`|song|album|lyrics|horoscope|zodiac|celebrity|football|soccer|nba|nfl|world\s+cup` +
    String.raw`|super\s+bowl|olympics|premier\s+league|video\s+game|playstation|xbox|restaurant` +
    String.raw`|pizza|guitar|vacation\s+spot|tourist\s+attractions?)\b`
  ) },
  { intent: 'general_knowledge', hard: false, re: new RegExp(
    String.raw`\b(?:capital\s+of|population\s+of|how\s+(?:tall|far|old|big|deep|long)\s+is\s+(?:the\s+)?(?:mount` +
    String.raw`|moon|sun|earth|eiffel|everest|pacific|amazon|nile|[a-z]+\s+river)|who\s+(?:invented` +
    String.raw`|discovered|wrote|painted|directed|composed)|when\s+did\s+(?:world\s+war` +
    String.raw`|the\s+(?:roman|french|american|industrial))|meaning\s+of\s+life|speed\s+of\s+light` +
    String.raw`|square\s+root\s+of|what\s+is\s+\d+\s*[-+*/x×]\s*\d+|solve\s+(?:this|the` +
    String.raw`|for)\s+|translate\s+["'a-z][^?]{0,80}\s+(?:in)?to\s+(?:french|spanish|german` +
    String.raw`|italian|chinese|japanese|portuguese|dutch|russian|arabic))\b`
  ) },
  { intent: 'other_company', hard: true, re: new RegExp(
    String.raw`\b${COMPANIES}'?s\s+(?:\w+\s+){0,2}(?:polic(?:y|ies)|pto|vacation|leave|` +
    String.raw`holidays?|benefits|perks|salar(?:y|ies)|pay|culture|handbook|remote|bonus` +
    String.raw`|stock|rules)\b|\b(?:polic(?:y|ies)|pto|vacation|leave|holidays?|benefits` +
    String.raw`|perks|salar(?:y|ies)|culture)\s+(?:at|of|in)\s+${COMPANIES}\b|\b${COMPANIES}\s+(?:employees` +
    String.raw`|staff|workers|engineers)\s+(?:get|have|receive|earn)\b|\bdoes\s+${COMPANIES}\s+(?:offer` +
    String.raw`|give|provide|have|pay|allow)\b|\b(?:other|another|competitor'?s?|rival)` +
    String.raw`\s+compan(?:y|y's|ies|ies')\s+(?:\w+\s+){0,3}(?:polic(?:y|ies)|pto|vacation` +
    String.raw`|leave|benefits|perks|offer|give|do)\b|\bcompetitors?'?\s+(?:polic(?:y|ies)` +
    String.raw`|benefits|perks|pto)\b`) }
]

// "Can I ..." and "Am I allowed to ..." ask what a policy permits, so soft intents never apply to them.
const PERMISSION_QUESTION = new RegExp([
  String.raw`\b(?:can|may|could)\s+(?:i|we|employees|staff|my\s+team)\b`,
  String.raw`\b(?:am\s+i|are\s+we|are\s+employees|is\s+(?:it|staff))\s+(?:ok|okay|allowed|permitted|fine|able)\b`,
  String.raw`\bdo\s+(?:i|we)\s+need\s+(?:approval|permission)\b|\bpolicy\s+(?:on|for|about|regarding)\b`
].join('|'))

/** Obvious requests no policy can answer, recognised from wording alone. */
export function offTopicIntent (question: string): OffTopicIntent | null {
  const text = question.normalize('NFKC').toLowerCase().replace(/[\u2018\u2019]/g, "'")
  const permission = PERMISSION_QUESTION.test(text)
  const workplace = mentionsWorkplace(text)
  for (const rule of INTENT_RULES) {
    if (!rule.hard && (workplace || permission)) continue
    if (rule.hard && permission && rule.intent !== 'other_company') continue
    if (rule.re.test(text)) return rule.intent
  }
  return null
}

/**
 * Off-topic when the wording says so, or when retrieval found nothing close: in `standard` both the best vector and
 * the best keyword score must fall below their thresholds; `strict` refuses when either does. Without retrieval
 * evidence only the wording counts; without vector evidence, `standard` goes by the wording alone too.
 */
export function isOffTopic (evidence: OffTopicEvidence, thresholds: OffTopicThresholds, level: GuardrailsLevel): boolean {
  if (level === 'off') return false
  if (offTopicIntent(evidence.question) !== null) return true
  const { topVectorScore, topKeywordScore } = evidence
  if (topVectorScore === undefined && topKeywordScore === undefined) return false
  const keywordLow = (topKeywordScore ?? Number.NEGATIVE_INFINITY) < thresholds.keyword
  // No vector search (no embedding model) is no evidence, not low evidence: keyword scores alone
  // misjudge everyday questions ("how many vacation days do I get?" scores under the threshold).
  if (topVectorScore === undefined) return level === 'strict' && keywordLow
  const vectorLow = topVectorScore < thresholds.vector
  return level === 'strict' ? vectorLow || keywordLow : vectorLow && keywordLow
}
