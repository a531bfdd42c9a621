import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import {
  checkInput,
  type UntrustedTurn,
  checkOutput,
  collectPiiKeys,
  type GuardrailsLevel,
  type InputCheckInput,
  type InputCheckResult,
  INTENT_MODEL,
  type IntentModel,
  isOffTopic,
  type OffTopicEvidence,
  type OffTopicThresholds,
  type OutputCheckInput,
  type OutputCheckResult,
  parseGuardrailsLevel,
  refusalAnswer,
  type RefusalReason,
  type ScreenInput,
  screenQuestion,
  type ScreenResult,
  type SemanticBanks,
  type TextLimits,
  type TextProblem,
  validateText
} from '../../lib/guardrails/index.js'
import { OutputStream, type OutputStreamOptions } from '../../lib/guardrails/output-stream.js'
import { counter } from '../../lib/ops/metric.js'

declare module 'fastify' {
  interface FastifyInstance {
    guardrails: Guardrails
  }
}

/** The lib/guardrails checks bound to the configured level; every trigger is counted in /metrics. */
export interface Guardrails {
  readonly level: GuardrailsLevel
  /** Null when acceptable (always under `off`); otherwise the 400 message. */
  validateText(text: string, limits: TextLimits, field?: string): TextProblem | null
  checkInput<T extends UntrustedTurn>(input: InputCheckInput<T>): InputCheckResult<T>
  isOffTopic(evidence: OffTopicEvidence, thresholds: OffTopicThresholds): boolean
  /** The step after retrieval (lib/guardrails/screen.ts): language, other people's data, injection by meaning, off-topic. */
  screen(
    input: ScreenInput, context: { banks: SemanticBanks | null, corpusWords: ReadonlySet<string> }, offTopic: OffTopicThresholds
  ): ScreenResult | null
  checkOutput(input: OutputCheckInput): OutputCheckResult
  /** `standard`: the output checks for an answer being streamed (null at other levels: strict holds the answer, off checks nothing). */
  streamOutput(input: OutputStreamOptions): StreamedOutput | null
  refusalAnswer(reason: RefusalReason): string
  /** Counts a trigger decided elsewhere, e.g. `output_uncited` when an LLM answer without valid citations is replaced. */
  record(kind: string): void
}

export interface StreamedOutput {
  push(text: string): string
  end(): string
  readonly stopped: boolean
}

export interface GuardrailsPluginOptions {
  /** Overrides GUARDRAILS_LEVEL (tests). */
  level?: GuardrailsLevel
  /** The intent classifier's weights (default: the trained INTENT_MODEL); null turns the classifier off. */
  intentModel?: IntentModel | null
  /** PII keys left unredacted in questions: the company's published contacts (see collectPiiKeys). */
  allowedPii?: ReadonlySet<string>
}

export const TRIGGER_METRIC = 'guardrail_triggers_total'

/**
 * Decorates `fastify.guardrails` with the checks of lib/guardrails at GUARDRAILS_LEVEL (docs/guardrails.md)
 * and counts what they find in `guardrail_triggers_total{kind}`. Logs carry kinds and rule ids, never text.
 */
export default fp<GuardrailsPluginOptions>(async function guardrails (fastify, opts) {
  const level = opts.level ?? parseGuardrailsLevel(fastify.config.GUARDRAILS_LEVEL)
  const triggers = counter({
    name: TRIGGER_METRIC,
    help: 'Guardrail findings by kind (PII kind, injection, off-topic, output checks)',
    labelNames: ['kind']
  })
  const count = (kinds: string[]): void => {
    for (const kind of kinds) triggers.inc({ kind })
  }
  // The company's own published contacts (HR e-mail, hotline) are not anyone's private data:
  // read from the corpus on first use, once the index is open.
  let allowedPii = opts.allowedPii
  const inputOptions = (): { allowedPii: ReadonlySet<string> } => ({ allowedPii: allowedPii ??= corpusContacts(fastify) })
  // The weights only fit the vectors of the embedding model they were trained on.
  let intent: IntentModel | null | undefined
  const intentModel = (): IntentModel | null =>
    (intent ??= matchingIntentModel(fastify, opts.intentModel === undefined ? INTENT_MODEL : opts.intentModel))
  // Its memory and corpus features also describe the policies it was trained on: with another corpus it would judge that
  // corpus's questions ("Which fuel card do company cars use?") by the old one, so it stays off until retrained.
  const knownCorpus = new WeakMap<object, boolean>()
  const corpusIntentModel = (): IntentModel | null => {
    const model = intentModel()
    const store = fastify.hasDecorator('policyIndex') ? fastify.policyIndex.current : undefined
    if (model === null || model.corpus === undefined || store === undefined) return model
    let known = knownCorpus.get(store)
    if (known === undefined) {
      const titles = new Set(model.corpus)
      known = store.listDocuments().every((d) => titles.has(d.title))
      knownCorpus.set(store, known)
      if (!known) fastify.log.warn('intent classifier off: it was trained on another set of policies (npm run train:guardrails)')
    }
    return known ? model : null
  }

  const service: Guardrails = {
    level,
    validateText (text, limits, field) {
      if (level === 'off') return null
      const problem = validateText(text, limits, field)
      if (problem !== null) count(['invalid_text'])
      return problem
    },
    checkInput (input) {
      const result = checkInput(input, level, inputOptions())
      const kinds = inputKinds(result)
      if (kinds.length > 0) {
        count(kinds)
        fastify.log.debug({ guardrails: { kinds, reasons: result.reasons } }, 'input guardrails triggered')
      }
      return result
    },
    isOffTopic (evidence, thresholds) {
      const offTopic = isOffTopic(evidence, thresholds, level)
      if (offTopic) count(['off_topic'])
      return offTopic
    },
    screen (input, context, offTopic) {
      const result = screenQuestion(input, {
        level, banks: context.banks, intent: corpusIntentModel(), corpusWords: context.corpusWords, offTopic
      })
      if (result !== null) {
        count([
          result.reason === 'injection' ? 'injection_refused' : result.reason,
          ...(result.rule.startsWith('semantic_') ? ['semantic'] : [])
        ])
        fastify.log.debug({ guardrails: { kinds: [result.reason], reasons: [result.rule] } }, 'guardrails refused after retrieval')
      }
      return result
    },
    checkOutput (input) {
      const result = checkOutput(input, level)
      const kinds = [
        ...result.pii_redacted.map((k) => `output_pii_${k}`),
        ...(result.leaked_system_prompt ? ['output_system_prompt'] : []),
        ...(result.truncated ? ['output_truncated'] : [])
      ]
      if (kinds.length > 0) {
        count(kinds)
        fastify.log.debug({ guardrails: { kinds } }, 'output guardrails triggered')
      }
      return result
    },
    streamOutput (input) {
      if (level !== 'standard') return null
      const filter = new OutputStream(input)
      let reported = false
      const counted = (out: string): string => {
        if (filter.stopped && !reported) {
          reported = true
          count(['output_system_prompt'])
          fastify.log.debug({ guardrails: { kinds: ['output_system_prompt'] } }, 'streamed answer stopped: it repeated the system prompt')
        }
        return out
      }
      return {
        push: (text) => counted(filter.push(text)),
        end: () => counted(filter.end()),
        get stopped () { return filter.stopped }
      }
    },
    refusalAnswer,
    record (kind) {
      count([kind])
    }
  }
  fastify.decorate('guardrails', service)
  fastify.log.debug({ guardrails_level: level }, 'guardrails ready')
}, { name: 'guardrails', dependencies: ['config'] })

function matchingIntentModel (fastify: FastifyInstance, model: IntentModel | null): IntentModel | null {
  if (model === null) return null
  const embedding = fastify.hasDecorator('embedder') ? fastify.embedder.card.id : undefined
  if (embedding === model.embeddingModel) return model
  fastify.log.warn(
    { intent_model: model.embeddingModel, embedding_model: embedding ?? null },
    'intent classifier off: its weights were trained on another embedding model'
  )
  return null
}

function corpusContacts (fastify: FastifyInstance): ReadonlySet<string> {
  const store = fastify.hasDecorator('policyIndex') ? fastify.policyIndex.current : undefined
  if (store === undefined) return new Set()
  const text = store.listDocuments().map((d) => store.getDocument(d.id)?.markdown ?? '').join('\n')
  return collectPiiKeys(text)
}

function inputKinds (result: InputCheckResult): string[] {
  return [
    ...result.findings.pii_redacted.map((k) => `pii_${k}`),
    ...(result.findings.injection ? [result.refuse?.reason === 'injection' ? 'injection_refused' : 'injection_stripped'] : []),
    ...(result.refuse?.reason === 'pii' ? ['pii_refused'] : [])
  ]
}
