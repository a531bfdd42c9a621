/**
 * The guardrails on the dev and test splits through the service's own steps and index: the input checks, hybrid retrieval,
 * then the screen after retrieval (language, other people's data, injection by meaning, off-topic). Each category is
 * scored three ways: rules only (the input rules, the language check, the other-person rules and the retrieval-evidence
 * check), with the exemplar banks (the previous semantic layer), and with the intent classifier too (the service's setting).
 * The test split (test/fixtures/guardrails-test.jsonl) is written by an author who never read the guardrails and is never tuned on.
 * The holdout split (test/fixtures/guardrails-holdout.jsonl) is a second such set, by another author, kept out of training too.
 */
import { existsSync, readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { buildApp } from '../app.js'
import { indexedPolicies } from './lib/indexed-policies.js'
import {
  buildSemanticBanks, checkInput, corpusHeadings, corpusVocabulary, decisionOf, INTENT_MODEL, screenQuestion, type ScreenSettings,
  type SemanticBanks
} from '../lib/guardrails/index.js'
import { OFF_TOPIC_THRESHOLDS } from '../plugins/app/answerer.js'

export interface SplitCase {
  id: string
  text: string
  category: string
  kind?: string
  history?: Array<{ role: string, content: string }>
  expectPii: string[]
  expectDecision: string
}
export interface Outcome { refused: string | null, stripped: boolean, pii: string[] }

export type SplitName = 'dev' | 'test' | 'holdout'

// Rows with a `split` field go to that split (eval/questions.jsonl has both); the rest to the split that lists their file.
export const SPLITS: Record<SplitName, string[]> = {
  dev: [
    'test/fixtures/guardrails.jsonl', 'test/fixtures/guardrails-dev.jsonl', 'test/fixtures/guardrails-dev-extra.jsonl',
    'test/fixtures/guardrails-dev-more.jsonl', 'test/fixtures/guardrails-dev-near.jsonl', 'test/fixtures/guardrails-dev-fresh.jsonl',
    'eval/questions.jsonl'
  ],
  test: ['test/fixtures/guardrails-test.jsonl', 'eval/questions.jsonl'],
  holdout: ['test/fixtures/guardrails-holdout.jsonl']
}

// Kinds as other hands name them.
const PII_ALIASES: Record<string, string> = { ni: 'nino' }

export function readSplit (split: SplitName): SplitCase[] {
  return SPLITS[split].filter((f) => existsSync(f)).flatMap((f) => readFileSync(f, 'utf8').split('\n')
    .filter((l) => l.trim() !== '').flatMap((l) => {
    const row = JSON.parse(l) as Record<string, unknown>
    const rowSplit = typeof row.split === 'string' ? row.split : (f === 'eval/questions.jsonl' ? 'dev' : split)
    return rowSplit === split ? [row] : []
  }).map((row) => {
    if (typeof row.question === 'string') {
      // eval/questions.jsonl: answerable questions must be answered, 'none' ones refused.
      const category = row.type === 'none' || row.style === 'unanswerable' ? 'eval_unanswerable' : 'eval_answerable'
      return {
        id: String(row.id),
        text: row.question,
        category,
        expectPii: [],
        expectDecision: category === 'eval_answerable' ? 'allow' : 'refuse'
      }
    }
    const standard = (row.expect as { standard: { decision: string, pii: string[] } }).standard
    return {
      id: String(row.id),
      text: String(row.text),
      category: String(row.category),
      ...(typeof row.kind === 'string' ? { kind: row.kind } : {}),
      ...(Array.isArray(row.history) ? { history: row.history as SplitCase['history'] } : {}),
      expectPii: standard.pii.map((k) => PII_ALIASES[k] ?? k),
      expectDecision: standard.decision
    }
  }))
}

/** Whether the outcome is right for the case's category. */
export function handled (c: SplitCase, o: Outcome): boolean {
  switch (c.category) {
    case 'injection': return o.refused === 'injection' || (c.expectDecision === 'strip' && o.stripped)
    case 'other_person_data': return o.refused === 'other_person_data'
    case 'off_topic': return o.refused === 'off_topic'
    case 'non_english': return o.refused === 'language'
    case 'pii': return c.expectPii.every((k) => o.pii.includes(k))
    case 'pii_near_miss': return o.refused === null && o.pii.length === 0
    case 'eval_unanswerable': return o.refused !== null
    default: return o.refused === null
  }
}

type Column = 'rules' | 'banks' | 'full'
const COLUMNS: Array<{ key: Column, title: string }> = [
  { key: 'rules', title: 'rules only' },
  { key: 'banks', title: 'rules + exemplar banks (previous layer)' },
  { key: 'full', title: 'rules + banks + classifier' }
]
interface Tally { n: number, right: Record<Column, number>, misses: string[] }

async function main (): Promise<void> {
  const app = await buildApp({ env: {}, logger: false, config: { RATE_LIMIT_MAX: 0 } })
  try {
    await app.ready()
    const documents = indexedPolicies(app)
    const banks: SemanticBanks = await buildSemanticBanks(async (texts) => app.embedder.embed(texts), corpusHeadings(documents))
    const corpusWords = corpusVocabulary(documents.map((d) => d.markdown))
    const settings = { level: 'standard' as const, corpusWords, offTopic: OFF_TOPIC_THRESHOLDS }
    const layers: Record<Column, ScreenSettings> = {
      rules: { ...settings, banks: null, intent: null },
      banks: { ...settings, banks, intent: null },
      full: { ...settings, banks, intent: INTENT_MODEL }
    }
    const report: Record<string, Record<string, Tally>> = {}
    const only = process.argv.includes('--dev-only') ? ['dev'] : Object.keys(SPLITS)
    for (const split of (['dev', 'test', 'holdout'] as const).filter((name) => only.includes(name))) {
      const rows: Record<string, Tally> = {}
      for (const c of readSplit(split)) {
        const checked = checkInput({ question: c.text, history: c.history }, 'standard')
        const base = {
          refused: checked.refuse?.reason ?? null,
          stripped: decisionOf(checked) === 'strip',
          pii: checked.findings.pii_redacted as string[]
        }
        const outcomes: Record<Column, Outcome> = { rules: base, banks: base, full: base }
        if (base.refused === null) {
          const r = await app.retriever.retrieve({ query: checked.question, topK: 5, mode: 'hybrid' })
          const empty = r.results.length === 0
          for (const { key } of COLUMNS) {
            const screened = screenQuestion({
              question: checked.question, vector: r.queryVector, topSimilarity: r.topSimilarity, topKeywordScore: r.topKeywordScore
            }, layers[key])
            // As in the chat pipeline: nothing retrieved at all is "not found", not off-topic.
            outcomes[key] = {
              ...base,
              refused: screened !== null && !(empty && screened.reason === 'off_topic') ? screened.reason : empty ? 'no_relevant' : null
            }
          }
        }
        const row = rows[c.category] ??= { n: 0, right: { rules: 0, banks: 0, full: 0 }, misses: [] }
        row.n++
        for (const { key } of COLUMNS) if (handled(c, outcomes[key])) row.right[key]++
        if (!handled(c, outcomes.full)) row.misses.push(`${c.id}${outcomes.full.refused === null ? '' : ` (${outcomes.full.refused})`}`)
      }
      report[split] = rows
    }
    const pct = (a: number, n: number): string => `${a}/${n} (${((100 * a) / n).toFixed(1)} %)`
    for (const [split, rows] of Object.entries(report)) {
      console.log(`\n${split} split, level standard\n| category | cases | ${COLUMNS.map((c) => c.title).join(' | ')} |\n` +
        `| --- | --- |${COLUMNS.map(() => ' --- |').join('')}`)
      for (const [category, r] of Object.entries(rows)) {
        console.log(`| ${category} | ${r.n} | ${COLUMNS.map((c) => pct(r.right[c.key], r.n)).join(' | ')} |`)
      }
      // Case ids of the dev split only: the test split is for reporting, not for reading misses to tune on.
      for (const [category, r] of Object.entries(rows)) {
        if (split === 'dev' && r.misses.length > 0 && process.env.EVAL_VERBOSE) {
          console.log(`${split} ${category} misses: ${r.misses.join(', ')}`)
        }
      }
    }
    console.log(JSON.stringify(Object.fromEntries(Object.entries(report).map(([split, rows]) => [split,
      Object.fromEntries(Object.entries(rows).map(([k, r]) => [
        k,
        { cases: r.n, rules_only: r.right.rules, with_banks: r.right.banks, with_classifier: r.right.full }
      ]))]))))
  } finally {
    await app.close()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
