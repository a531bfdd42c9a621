import { detectHistoryInjection, detectInjection, stripInvisible } from './injection.js'
import { redactPii } from './pii.js'
import { topicsSentence } from './topics.js'
import { type UntrustedTurn, type GuardrailsLevel, type PiiKind, sortKinds } from './types.js'

export * from './types.js'
export {
  redactPii, findPii, piiKey, collectPiiKeys, luhnValid, ibanChecksumValid, PII_PLACEHOLDERS, type PiiMatch, type RedactionResult
} from './pii.js'
export {
  detectInjection, detectHistoryInjection, normaliseForDetection, stripInvisible, type InjectionResult, type HistoryInjectionResult
} from './injection.js'
export { validateText, type TextProblem, type TextLimits } from './text-checks.js'
export { isOffTopic, offTopicIntent, type OffTopicEvidence, type OffTopicThresholds, type OffTopicIntent } from './off-topic.js'
export {
  checkOutput, truncateAnswer, leaksSystemPrompt, SYSTEM_PROMPT_REPLACEMENT, type OutputCheckInput, type OutputCheckResult
} from './output.js'
export { TOPICS_COVERED, mentionsWorkplace, topicsSentence } from './topics.js'
export {
  screenQuestion, SEMANTIC_THRESHOLDS, type ScreenInput, type ScreenReason, type ScreenResult, type ScreenSettings, type SemanticThresholds
} from './screen.js'
export { buildSemanticBanks, corpusHeadings, type SemanticBanks } from './semantic-guard.js'
export { guessLanguage } from './language.js'
export {
  EVIDENCE_FEATURES, INTENT_CLASSES, INTENT_MODEL, intentProbabilities, parseIntentModel, refusingIntent, vocabularyCoverage,
  type IntentClass, type IntentModel, type IntentScore
} from './intent-model.js'
export { askForOtherPersonData, corpusVocabulary } from './other-person.js'

export const REFUSAL_REASONS = ['injection', 'pii', 'off_topic', 'other_person_data', 'language'] as const
export type RefusalReason = (typeof REFUSAL_REASONS)[number]

export interface InputFindings {
  pii_redacted: PiiKind[]
  injection: boolean
  /** Always false here: off-topic needs retrieval evidence, see isOffTopic. */
  off_topic: boolean
}

export interface InputCheckInput<T extends UntrustedTurn = UntrustedTurn> {
  question: string
  history?: readonly T[]
}

export interface InputCheckResult<T extends UntrustedTurn = UntrustedTurn> {
  /** Safe to send to the LLM, the logs and the metrics: PII redacted, invisible characters and stripped injections removed. */
  question: string
  history: T[]
  findings: InputFindings
  /** Rule ids that fired (question and history), for logs and metrics. */
  reasons: string[]
  /** `standard`: injected sentences were cut out of the question. */
  stripped: boolean
  /** `standard`: indices (in the original history) of turns dropped as planted. */
  dropped_turns: number[]
  refuse?: { reason: RefusalReason, answer: string }
}

export type InputDecision = 'allow' | 'redact' | 'strip' | 'refuse'

export interface InputCheckOptions {
  /** PII keys (see collectPiiKeys) left in place: the company's published contacts are not personal data. */
  allowedPii?: ReadonlySet<string>
}

const REFUSALS: Record<RefusalReason, () => string> = {
  injection: () => 'I can only answer questions about company policies, and I can\'t follow instructions that change how I work or ' +
    `reveal my configuration. Please ask your policy question on its own, for example about ${topicsSentence(6)}.`,
  pii: () => 'For your security I did not process that question because it contains a payment card number or a Social Security number. ' +
    'I never need those to answer policy questions: please remove them and ask again.',
  off_topic: () => 'I can only answer questions about company policies, so I can\'t help with that one. ' +
    `I can help with ${topicsSentence(8)}.`,
  other_person_data: () => 'I can\'t share information about another person, such as a colleague\'s pay, rating, health, leave, ' +
    'contact details or who reported a concern: that is their personal data, which the Data Privacy policy protects. ' +
    'I can explain how the policy works in general (for example how pay or reviews are decided), ' +
    'and HR can help with anything that concerns you directly.',
  language: () => 'I can only answer questions written in English for now. Please ask again in English, for example: ' +
    '"How many vacation days do I get?"'
}

export function refusalAnswer (reason: RefusalReason): string {
  return REFUSALS[reason]()
}

const REFUSED_IN_STRICT: PiiKind[] = ['card', 'ssn']

/**
 * Input guardrails for one chat request, all levels in one place:
 * `off` passes everything through untouched; `standard` redacts PII, cuts injected sentences out when a clean policy
 * question remains (otherwise refuses) and drops planted history turns; `strict` redacts PII, refuses any card number
 * or SSN, and refuses any injection signal, in the question or the history.
 */
export function checkInput<T extends UntrustedTurn> (
  input: InputCheckInput<T>,
  level: GuardrailsLevel,
  options: InputCheckOptions = {}
): InputCheckResult<T> {
  const history = [...(input.history ?? [])]
  if (level === 'off') {
    return {
      question: input.question,
      history,
      findings: { pii_redacted: [], injection: false, off_topic: false },
      reasons: [],
      stripped: false,
      dropped_turns: []
    }
  }
  const injection = detectInjection(input.question, level)
  const historyInjection = detectHistoryInjection(history, level)
  const dropped = level === 'standard' ? historyInjection.turns : []
  const question = redactPii(stripInvisible(injection.cleaned ?? input.question), options.allowedPii)
  const keptHistory = history.filter((_, i) => !dropped.includes(i)).map((turn) => {
    const redacted = redactPii(stripInvisible(turn.content), options.allowedPii)
    return { turn: { ...turn, content: redacted.text }, kinds: redacted.kinds }
  })
  const kinds = sortKinds([...question.kinds, ...keptHistory.flatMap((t) => t.kinds)])
  const result: InputCheckResult<T> = {
    question: question.text,
    history: keptHistory.map((t) => t.turn),
    findings: { pii_redacted: kinds, injection: injection.injection || historyInjection.injection, off_topic: false },
    reasons: [...new Set([...injection.reasons, ...historyInjection.reasons])].sort(),
    stripped: injection.cleaned !== undefined,
    dropped_turns: dropped
  }
  const reason = refusalReason(level, injection.injection && injection.cleaned === undefined, historyInjection.injection, kinds)
  if (reason !== undefined) result.refuse = { reason, answer: refusalAnswer(reason) }
  return result
}

function refusalReason (
  level: GuardrailsLevel,
  questionInjection: boolean,
  historyInjection: boolean,
  kinds: PiiKind[]
): RefusalReason | undefined {
  if (questionInjection || (level === 'strict' && historyInjection)) return 'injection'
  if (level === 'strict' && kinds.some((k) => REFUSED_IN_STRICT.includes(k))) return 'pii'
  return undefined
}

export function decisionOf (result: InputCheckResult): InputDecision {
  if (result.refuse !== undefined) return 'refuse'
  if (result.stripped || result.dropped_turns.length > 0) return 'strip'
  if (result.findings.pii_redacted.length > 0) return 'redact'
  return 'allow'
}
