export const GUARDRAILS_LEVELS = ['off', 'standard', 'strict'] as const
export type GuardrailsLevel = (typeof GUARDRAILS_LEVELS)[number]

export const PII_KINDS = ['email', 'phone', 'ssn', 'sin', 'nino', 'passport', 'address', 'card', 'iban', 'ip'] as const
export type PiiKind = (typeof PII_KINDS)[number]

export type { UntrustedTurn } from '../../schemas/chat.js'

export function isGuardrailsLevel (value: unknown): value is GuardrailsLevel {
  return typeof value === 'string' && (GUARDRAILS_LEVELS as readonly string[]).includes(value)
}

export function parseGuardrailsLevel (value: unknown): GuardrailsLevel {
  if (value === undefined || value === null || value === '') return 'standard'
  const normalised = typeof value === 'string' ? value.trim().toLowerCase() : value
  if (isGuardrailsLevel(normalised)) return normalised
  throw new Error(`GUARDRAILS_LEVEL must be one of ${GUARDRAILS_LEVELS.join(', ')} (got ${String(value)})`)
}

/** Kinds in a stable order, without duplicates. */
export function sortKinds (kinds: Iterable<PiiKind>): PiiKind[] {
  const set = new Set(kinds)
  return PII_KINDS.filter((k) => set.has(k))
}
