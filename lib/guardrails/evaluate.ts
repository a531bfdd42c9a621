import { checkInput, decisionOf, type InputDecision, REFUSAL_REASONS, type RefusalReason } from './index.js'
import { isOffTopic, type OffTopicThresholds } from './off-topic.js'
import { type UntrustedTurn, GUARDRAILS_LEVELS, type GuardrailsLevel, PII_KINDS, type PiiKind } from './types.js'

export const FIXTURE_CATEGORIES = ['injection', 'pii', 'pii_near_miss', 'off_topic', 'legit'] as const
export type FixtureCategory = (typeof FIXTURE_CATEGORIES)[number]

export interface Expectation {
  decision: InputDecision
  pii: PiiKind[]
  reason?: RefusalReason
}

export interface FixtureCase {
  id: string
  text: string
  history?: UntrustedTurn[]
  category: FixtureCategory
  /** Off-topic cases: whether the wording alone gives it away (otherwise retrieval evidence must). */
  lexical?: boolean
  expect: Record<GuardrailsLevel, Expectation>
}

export interface CaseOutcome {
  decision: InputDecision
  pii: PiiKind[]
  reason?: RefusalReason
  injection: boolean
  offTopic: boolean
}

export interface Evidence {
  topVectorScore?: number
  topKeywordScore?: number
}

function fail (line: number, message: string): never {
  throw new Error(`fixture line ${line}: ${message}`)
}

function parseExpectation (value: unknown, line: number): Expectation {
  if (typeof value !== 'object' || value === null) fail(line, 'expectation must be an object')
  const { decision, pii, reason } = value as Record<string, unknown>
  if (decision !== 'allow' && decision !== 'redact' && decision !== 'strip' && decision !== 'refuse') {
    fail(line, `bad decision ${String(decision)}`)
  }
  if (!Array.isArray(pii) || !pii.every((k) => (PII_KINDS as readonly unknown[]).includes(k))) fail(line, 'pii must list PII kinds')
  const out: Expectation = { decision, pii: pii as PiiKind[] }
  if (reason !== undefined) {
    if (!(REFUSAL_REASONS as readonly unknown[]).includes(reason)) fail(line, `bad reason ${String(reason)}`)
    out.reason = reason as RefusalReason
  }
  return out
}

/** Parses `test/fixtures/guardrails.jsonl`, rejecting malformed lines rather than skipping them. */
export function parseFixtures (jsonl: string): FixtureCase[] {
  return jsonl.split('\n').flatMap((raw, i) => {
    if (raw.trim() === '') return []
    const line = i + 1
    const row = JSON.parse(raw) as Record<string, unknown>
    if (typeof row.id !== 'string' || typeof row.text !== 'string') fail(line, 'id and text are required strings')
    if (!(FIXTURE_CATEGORIES as readonly unknown[]).includes(row.category)) fail(line, `bad category ${String(row.category)}`)
    const expectRow = row.expect as Record<string, unknown> | undefined
    if (expectRow === undefined) fail(line, 'expect is required')
    const expect = Object.fromEntries(
      GUARDRAILS_LEVELS.map((level) => [level, parseExpectation(expectRow[level], line)])
    ) as Record<GuardrailsLevel, Expectation>
    const fixture: FixtureCase = { id: row.id, text: row.text, category: row.category as FixtureCategory, expect }
    if (Array.isArray(row.history)) fixture.history = row.history as UntrustedTurn[]
    if (typeof row.lexical === 'boolean') fixture.lexical = row.lexical
    return [fixture]
  })
}

// Without retrieval evidence isOffTopic looks at the wording only, whatever the thresholds.
const NO_THRESHOLDS: OffTopicThresholds = { vector: Number.NEGATIVE_INFINITY, keyword: Number.NEGATIVE_INFINITY }

/** The input decision a question gets at a level: input checks, then the off-topic check on the cleaned question. */
export function evaluateQuestion (text: string, history: UntrustedTurn[] | undefined, level: GuardrailsLevel,
  evidence: Evidence = {}, thresholds: OffTopicThresholds = NO_THRESHOLDS): CaseOutcome {
  const checked = checkInput({ question: text, history }, level)
  const outcome: CaseOutcome = {
    decision: decisionOf(checked),
    pii: checked.findings.pii_redacted,
    injection: checked.findings.injection,
    offTopic: false
  }
  if (checked.refuse !== undefined) {
    outcome.reason = checked.refuse.reason
    return outcome
  }
  if (isOffTopic({ question: checked.question, ...evidence }, thresholds, level)) {
    return { ...outcome, decision: 'refuse', reason: 'off_topic', offTopic: true }
  }
  return outcome
}

export function matchesExpectation (outcome: CaseOutcome, expected: Expectation): boolean {
  return outcome.decision === expected.decision && outcome.reason === expected.reason &&
    outcome.pii.length === expected.pii.length && outcome.pii.every((k, i) => k === expected.pii[i])
}

export interface Metric {
  tp: number
  fp: number
  fn: number
  /** Null when nothing was flagged (precision is undefined then). */
  precision: number | null
  recall: number | null
}

function metric (tp: number, fp: number, fn: number): Metric {
  const ratio = (a: number, b: number): number | null => (b === 0 ? null : Math.round((a / b) * 10000) / 10000)
  return { tp, fp, fn, precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn) }
}

export interface FixtureReport {
  level: GuardrailsLevel
  cases: number
  expectation_mismatches: string[]
  injection: Metric
  pii: Metric
  pii_near_miss_false_redactions: number
  off_topic: Metric
  off_topic_lexical_subset_recall: number
  legit_refused: string[]
}

/** Precision and recall per detector over the labelled set: ground truth is the category (and the expected PII kinds). */
export function scoreFixtures (cases: FixtureCase[], level: GuardrailsLevel): FixtureReport {
  const counts: Record<'inj' | 'pii' | 'off', Tally> = { inj: [0, 0, 0], pii: [0, 0, 0], off: [0, 0, 0] }
  let nearMissRedactions = 0
  let lexicalHits = 0
  let lexicalTotal = 0
  const mismatches: string[] = []
  const legitRefused: string[] = []
  for (const c of cases) {
    const outcome = evaluateQuestion(c.text, c.history, level)
    if (!matchesExpectation(outcome, c.expect[level])) mismatches.push(c.id)
    tally(counts.inj, c.category === 'injection', outcome.injection)
    tally(counts.off, c.category === 'off_topic', outcome.offTopic)
    const expected = new Set(c.expect.standard.pii)
    const found = new Set(outcome.pii)
    counts.pii[0] += [...found].filter((k) => expected.has(k)).length
    counts.pii[1] += [...found].filter((k) => !expected.has(k)).length
    counts.pii[2] += [...expected].filter((k) => !found.has(k)).length
    if (c.category === 'pii_near_miss' && outcome.pii.length > 0) nearMissRedactions++
    if (c.category === 'off_topic' && c.lexical === true) {
      lexicalTotal++
      if (outcome.offTopic) lexicalHits++
    }
    if ((c.category === 'legit' || c.category === 'pii_near_miss') && outcome.decision === 'refuse') legitRefused.push(c.id)
  }
  return {
    level,
    cases: cases.length,
    expectation_mismatches: mismatches,
    injection: metric(counts.inj[0], counts.inj[1], counts.inj[2]),
    pii: metric(counts.pii[0], counts.pii[1], counts.pii[2]),
    pii_near_miss_false_redactions: nearMissRedactions,
    off_topic: metric(counts.off[0], counts.off[1], counts.off[2]),
    off_topic_lexical_subset_recall: lexicalTotal === 0 ? 1 : Math.round((lexicalHits / lexicalTotal) * 10000) / 10000,
    legit_refused: legitRefused
  }
}

/** True positives, false positives, false negatives. */
type Tally = [number, number, number]

function tally (cell: Tally, actual: boolean, predicted: boolean): void {
  if (actual && predicted) cell[0]++
  else if (!actual && predicted) cell[1]++
  else if (actual && !predicted) cell[2]++
}

