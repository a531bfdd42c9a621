/**
 * What kind of answer a question wants, judged from its wording alone: a yes or no, an
 * instruction (what to do, whom to tell), a quantity (how many, how long, by when), and whether
 * it asks two things at once. The extractive answerer prefers the sentences that give that kind
 * of answer; none of this decides whether a question is answered.
 */
export interface QuestionKind {
  yesNo: boolean
  instruction: boolean
  quantity: boolean
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
  String.raw`\bwhat (?:is|'s) the (?:process|procedure)\b`,
  String.raw`\bwhat happens next\b`,
  String.raw`\b(?:who|where) (?:do|should) (?:i|we) (?:go|turn)\b`,
  String.raw`\bhow (?:do|can|should) i\b`
].join('|'), 'i')
const QUANTITY = new RegExp([
  String.raw`\bhow (?:much|many|long|soon|often|far|early|late|quickly|fast|old)\b`,
  String.raw`\bby when\b`, String.raw`\bwhat time\b`, String.raw`\bwhich (?:day|date|month|year)\b`,
  String.raw`\bwhat (?:is |are |'s )?(?:the )?` +
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
