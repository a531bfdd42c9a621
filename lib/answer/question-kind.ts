/**
 * What kind of answer a question wants, judged from its wording alone: a yes or no, an
 * instruction (what to do, whom to tell), a quantity (how many, how long, by when), and whether
 * it asks two things at once. The extractive answerer prefers the sentences that give that kind
 * of answer; none of this decides whether a question is answered.
 */
/**
 * money: how much / what does it cost / pay / allowance; duration: how long, how many days/weeks; deadline: by when,
 * how soon, the deadline, the notice; frequency: how often; date: when / which day; time: what time.
 */
export type AnswerType = 'money' | 'duration' | 'deadline' | 'frequency' | 'date' | 'time'

export interface QuestionKind {
  yesNo: boolean
  instruction: boolean
  quantity: boolean
  /** What the answer states, when the question's form says (classic QA's "expected answer type"). */
  answerType: AnswerType | null
  /** The question's parts when it asks two things ("How many ... and do I need ...?"), else one part. */
  parts: string[]
}

const FILLER = /^(?:(?:hi|hey|hello|ok|okay|so|and|but|also|quick question|question|sorry|please|um+|hmm+)[,!.:]?\s+)+/i
const YES_NO = new RegExp(
  String.raw`^(?:can|could|may|might|am|is|isn't|are|aren't|do|don't|does|doesn't|did|should|shall|must|will|would|have|has|` +
  String.raw`was|were|is it ok|is it okay|any chance)\b`,
  'i'
)
const YES_NO_INSIDE = new RegExp(
  String.raw`\b(?:am i (?:allowed|able|entitled|required|supposed|expected)|is it (?:ok|okay|allowed|possible|fine)|` +
  String.raw`are we (?:allowed|able|required))\b`,
  'i'
)
const INSTRUCTION = new RegExp([
  String.raw`\bwhat (?:do|should|must|can|would) (?:i|we|you|employees?|staff|managers?) (?:need to |have to |ought to )?do\b`,
  String.raw`\bwhat (?:needs|has) to (?:be done|happen)\b`,
  String.raw`\bwhat (?:are|is) (?:my|our|the) next steps?\b`,
  String.raw`\bwho (?:do|should|must|can) (?:i|we|you)\b`,
  String.raw`\bwho (?:to|is responsible|handles|approves|decides)\b`,
  String.raw`\bwhom\b`,
  String.raw`\b(?:how|where) (?:do|should|must|can) (?:i|we|you)\s+(?:\w+\s+){0,2}` +
    String.raw`(?:report|request|claim|apply|book|submit|tell|notify|contact|raise|file|log|send|get|ask|register|record|escalate|` +
    String.raw`return|start|arrange|flag|appeal|change|set up|access)\b`,
  String.raw`\bwhat (?:are )?the steps\b`,
  String.raw`\bwhat(?:\s+is|['’]s) the (?:process|procedure)\b`,
  String.raw`\bwhat happens next\b`,
  String.raw`\b(?:who|where) (?:do|should) (?:i|we) (?:go|turn)\b`,
  String.raw`\bhow (?:do|can|should) i\b`
].join('|'), 'i')
const QUANTITY = new RegExp([
  String.raw`\bhow (?:much|many|long|soon|often|far|early|late|quickly|fast|old)\b`,
  String.raw`\bby when\b`, String.raw`\bwhat time\b`, String.raw`\bwhich (?:day|date|month|year)\b`,
  String.raw`\bwhat(?:\s+is|['’]s) the (?:earliest|latest|soonest|most|least)\b`,
  // "What's the nightly hotel limit": a contraction, and up to two words before the noun.
  String.raw`\bwhat(?:\s+is|\s+are|['’]s)?\s+(?:(?:the|my|our|a)\s+)?(?:[\w-]+\s+){0,2}` +
    String.raw`(?:deadline|limit|maximum|minimum|max|min|cap|rate|amount|percentage|budget|allowance|notice period|per diem|threshold)s?\b`,
  String.raw`\b(?:deadline|time limit|cut-?off)\b`,
  String.raw`^(?:when|until when)\b`,
  String.raw`\bwhen (?:do|does|did|is|are|must|should|will|can|am|was|were)\b(?![^?]*\bhappen)`
].join('|'), 'i')
const NOT_QUANTITY = /\bwhat (?:happens|should i do|do i do|to do) (?:if|when)\b|\bwhat if\b/i

export function questionKind (question: string): QuestionKind {
  const q = question.trim().replace(FILLER, '')
  const parts = questionParts(q)
  return {
    yesNo: parts.some((p) => YES_NO.test(p) || YES_NO_INSIDE.test(p)),
    // A situation described rather than asked ("I lost my badge on the train") wants to know what to do.
    instruction: INSTRUCTION.test(q) || isStatement(q),
    quantity: QUANTITY.test(q) && !(NOT_QUANTITY.test(q) && !/\bhow (?:much|many|long)\b/i.test(q)),
    answerType: answerType(q),
    parts
  }
}

const QUESTION_WORD = new RegExp(
  String.raw`^(?:how|what|when|who|whom|where|which|why|can|could|do|does|did|is|are|am|should|must|may|will|would|have|has|` +
  String.raw`was|were|any|if)\b`,
  'i'
)

function isStatement (question: string): boolean {
  return !question.includes('?') && !QUESTION_WORD.test(question)
}

const SECOND_QUESTION = new RegExp(
  String.raw`(?:,?\s+and\s+|;\s*|\?\s+|,\s+(?:but|also)\s+)` +
  String.raw`(?=(?:also\s+)?(?:how|what|when|who|whom|where|which|why|can|could|do|does|did|is|are|am|should|must|may|will|would|` +
  String.raw`have|has|if|then)\b)`,
  'i'
)

/** Splits "How many sick days do I get and do I need a doctor's note?" into its two questions (at most two). */
export function questionParts (question: string): string[] {
  const match = SECOND_QUESTION.exec(question)
  if (match === null) return [question]
  const first = question.slice(0, match.index).trim()
  const second = question.slice(match.index + match[0].length).trim()
  if (first.split(/\s+/).length < 3 || second.split(/\s+/).length < 3) return [question]
  return [first, second]
}

const ANSWER_TYPES: ReadonlyArray<[AnswerType, RegExp]> = [
  ['frequency', /\bhow often\b|\bhow many times (?:a|an|per|each)\b/i],
  ['deadline', new RegExp([
    String.raw`\bby when\b|\bhow (?:soon|quickly|fast|early|far in advance)\b|\b(?:deadline|cut-?off|time limit|notice period)\b`,
    String.raw`\bhow (?:much|long|many (?:days|weeks)) (?:of )?notice\b|\bwithin how\b`
  ].join('|'), 'i')],
  ['money', new RegExp([
    String.raw`\bhow much\b(?! (?:time|notice|leave|vacation|pto|holiday))|\bwhat (?:does|will) (?:it|\w+) cost\b`,
    String.raw`\bwhat(?:\s+is|\s+are|['’]s)?\s+(?:the|my|our)\s+(?:[\w-]+\s+){0,2}` +
      String.raw`(?:cost|price|rate|allowance|per diem|budget|stipend|fee|amount|reimbursement)s?\b`
  ].join('|'), 'i')],
  ['duration', /\bhow long\b|\bhow many (?:days|weeks|months|years|hours|minutes|nights)\b|\bhow much (?:time|leave|vacation|pto)\b/i],
  ['time', /\bwhat time\b|\bwhat hours?\b|\b(?:earliest|latest)\b.*\b(?:start|clock|arrive|finish|leave|log)/i],
  ['date', /\b(?:which|what) (?:day|date|month)\b|^(?:when|until when)\b|\bwhen (?:is|are|does|do|will|can|must|should)\b/i]
]

/** The first answer type the question's form names ("How much notice" is a deadline before it is money). */
function answerType (question: string): AnswerType | null {
  if (NOT_QUANTITY.test(question) && !/\bhow (?:much|many|long|often|soon)\b/i.test(question)) return null
  for (const [type, pattern] of ANSWER_TYPES) if (pattern.test(question)) return type
  return null
}
