/**
 * `npm run eval`: answer quality on eval/questions.jsonl through the same app the server runs
 * (no LLM configured, so every answer is extractive), graded strictly (tools/lib/grade.ts):
 * correct / partial / wrong per question style and split, noise (answer sentences stating no
 * fact), refusals, and retrieval recall@1 / recall@5 / MRR per mode. The previous figures
 * (eval/baseline.json) are printed beside the new ones. Tune on the dev split; report test.
 *
 *   npm run eval [-- --split test|dev|all] [--verbose] [--save-baseline]
 * Last line: one JSON object with every figure.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { buildApp } from '../app.js'
import { retrievalQuery } from '../lib/answer/follow-up.js'
import { repoRoot } from '../lib/paths.js'
import type { SearchMode } from '../lib/search/retrieval.js'
import { grade, type Fact, type Grade } from './lib/grade.js'

export const STYLES = [
  'direct',
  'instruction',
  'yes-no',
  'two-part',
  'quantity',
  'situation',
  'vocabulary',
  'slang-typos',
  'follow-up',
  'unanswerable'
] as const
export type Style = typeof STYLES[number]
export type Split = 'dev' | 'test'

export interface EvalQuestion {
  id: string
  question: string
  style: Style
  split: Split
  document_ids: string[]
  facts: Fact[]
  answer: string
  history?: Array<{ role: 'user' | 'assistant', content: string }>
  /** 'none' for unanswerable questions (read by eval:guardrails and the benchmarks). */
  type: 'single' | 'multi' | 'none'
}

export const questionsFile = join(repoRoot, 'eval', 'questions.jsonl')
export const baselineFile = join(repoRoot, 'eval', 'baseline.json')

export function loadQuestions (file = questionsFile): EvalQuestion[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l, i) => {
    const q = JSON.parse(l) as EvalQuestion
    if (typeof q.id !== 'string' || typeof q.question !== 'string' || !STYLES.includes(q.style) || !['dev', 'test'].includes(q.split) ||
      !Array.isArray(q.facts) || !Array.isArray(q.document_ids)) {
      throw new Error(`${file}:${i + 1}: id, question, style, split, facts and document_ids are required`)
    }
    return q
  })
}

export interface RetrievalFigures { recall_at_1: number, recall_at_5: number, mrr: number, questions: number }
export interface StyleFigures { questions: number, correct: number, partial: number, wrong: number, refused: number, accuracy: number }
export interface AnswerFigures {
  by_style: Partial<Record<Style, StyleFigures>>
  answerable: StyleFigures
  /** Share of answer sentences (answerable questions) that state none of the facts. */
  noise: number
  answered_with_citations: number
  false_refusals: number
  unanswerable: number
  correct_refusals: number
  refusal_rate: number
}
export interface SplitFigures { retrieval: Record<SearchMode, RetrievalFigures>, answers: AnswerFigures }
export interface QuestionOutcome {
  id: string
  style: Style
  grade: Grade | 'refused' | 'answered'
  mode: string
  answer: string
  rank: number
}

type App = Awaited<ReturnType<typeof buildApp>>

export async function evaluate (
  questions: EvalQuestion[],
  onOutcome?: (q: EvalQuestion, o: QuestionOutcome) => void
): Promise<SplitFigures> {
  // Quality, not load: no rate limit, and no shedding when a busy machine delays the event loop.
  const app = await buildApp({ env: {}, logger: false, config: { RATE_LIMIT_MAX: 0, MAX_EVENT_LOOP_DELAY_MS: 0 } })
  try {
    await app.ready()
    const hybridRanks = new Map<EvalQuestion, number>()
    const retrieval = await evaluateRetrieval(app, questions, hybridRanks)
    return { retrieval, answers: await evaluateAnswers(app, questions, hybridRanks, onOutcome) }
  } finally {
    await app.close()
  }
}

/** Fills `hybridRanks` with each answerable question's hybrid rank, which the answers' report shows. */
async function evaluateRetrieval (
  app: App,
  questions: EvalQuestion[],
  hybridRanks: Map<EvalQuestion, number>
): Promise<Record<SearchMode, RetrievalFigures>> {
  const answerable = questions.filter((q) => q.style !== 'unanswerable')
  const retrieval = {} as Record<SearchMode, RetrievalFigures>
  for (const mode of ['vector', 'keyword', 'hybrid'] as const) {
    let hits1 = 0
    let hits5 = 0
    let reciprocal = 0
    for (const q of answerable) {
      const rank = await documentRank(app, q, mode)
      if (mode === 'hybrid') hybridRanks.set(q, rank)
      if (rank === 1) hits1++
      if (rank >= 1 && rank <= 5) { hits5++; reciprocal += 1 / rank }
    }
    const n = answerable.length
    retrieval[mode] = { recall_at_1: round(hits1 / n), recall_at_5: round(hits5 / n), mrr: round(reciprocal / n), questions: n }
  }
  return retrieval
}

async function documentRank (app: App, q: EvalQuestion, mode: SearchMode): Promise<number> {
  const { results } = await app.retriever.retrieve({ query: retrievalQuery(q.question, q.history ?? []), topK: 5, mode })
  return results.findIndex((r) => q.document_ids.includes(r.document_id)) + 1
}

function emptyStyle (): StyleFigures {
  return { questions: 0, correct: 0, partial: 0, wrong: 0, refused: 0, accuracy: 0 }
}

async function evaluateAnswers (app: App, questions: EvalQuestion[], hybridRanks: ReadonlyMap<EvalQuestion, number>,
  onOutcome?: (q: EvalQuestion, o: QuestionOutcome) => void): Promise<AnswerFigures> {
  const byStyle: Partial<Record<Style, StyleFigures>> = {}
  const answerable = emptyStyle()
  let sentences = 0
  let noise = 0
  let cited = 0
  let unanswerable = 0
  let correctRefusals = 0
  for (const q of questions) {
    const res = await app.inject({ method: 'POST', url: '/chat', payload: { question: q.question, history: q.history ?? [] } })
    const body = res.statusCode === 200
      ? res.json() as { answer: string, mode: string, citations: Array<{ document_id: string }> }
      : { answer: `HTTP ${res.statusCode}: ${res.body}`, mode: 'error', citations: [] }
    const style = byStyle[q.style] ??= emptyStyle()
    style.questions++
    const rank = hybridRanks.get(q) ?? 0
    if (q.style === 'unanswerable') {
      unanswerable++
      const refused = body.mode === 'refused'
      if (refused) { correctRefusals++; style.correct++ } else style.wrong++
      onOutcome?.(q, { id: q.id, style: q.style, grade: refused ? 'refused' : 'answered', mode: body.mode, answer: body.answer, rank })
      continue
    }
    answerable.questions++
    if (body.mode === 'refused') {
      style.refused++; style.wrong++; answerable.refused++; answerable.wrong++
      onOutcome?.(q, { id: q.id, style: q.style, grade: 'refused', mode: body.mode, answer: body.answer, rank })
      continue
    }
    if ((body.citations?.length ?? 0) > 0) cited++
    const g = grade(body.answer, q.facts, body.citations.map((c) => c.document_id), q.document_ids)
    style[g.grade]++
    answerable[g.grade]++
    sentences += g.sentences
    noise += g.noiseSentences
    onOutcome?.(q, { id: q.id, style: q.style, grade: g.grade, mode: body.mode, answer: body.answer, rank })
  }
  for (const f of [...Object.values(byStyle), answerable]) f.accuracy = f.questions === 0 ? 0 : round(f.correct / f.questions)
  return {
    by_style: byStyle,
    answerable,
    noise: sentences === 0 ? 0 : round(noise / sentences),
    answered_with_citations: cited,
    false_refusals: answerable.refused,
    unanswerable,
    correct_refusals: correctRefusals,
    refusal_rate: unanswerable === 0 ? 0 : round(correctRefusals / unanswerable)
  }
}

function round (value: number): number {
  return Math.round(value * 1000) / 1000
}

type Baseline = Partial<Record<Split, SplitFigures>>

function readBaseline (): Baseline {
  return existsSync(baselineFile) ? JSON.parse(readFileSync(baselineFile, 'utf8')) as Baseline : {}
}

function pct (value: number | undefined): string {
  return value === undefined ? '–' : `${Math.round(value * 100)} %`
}

export function report (split: Split, now: SplitFigures, before: SplitFigures | undefined): string {
  const lines = [
    `## ${split} split`,
    '',
    '| style | n | correct | partial | wrong | refused | accuracy | previous |',
    '| --- | --: | --: | --: | --: | --: | --: | --: |'
  ]
  for (const style of STYLES) {
    const f = now.answers.by_style[style]
    if (f === undefined) continue
    const previous = pct(before?.answers.by_style[style]?.accuracy)
    lines.push(`| ${style} | ${f.questions} | ${f.correct} | ${f.partial} | ${f.wrong} | ${f.refused} | ${pct(f.accuracy)} | ${previous} |`)
  }
  const a = now.answers.answerable
  const previous = pct(before?.answers.answerable.accuracy)
  const accuracy = `**${pct(a.accuracy)}**`
  lines.push(`| **answerable** | ${a.questions} | ${a.correct} | ${a.partial} | ${a.wrong} | ${a.refused} | ${accuracy} | ${previous} |`)
  lines.push('', `noise (answer sentences stating no fact): ${pct(now.answers.noise)} ` +
    `(previous ${pct(before?.answers.noise)}); ` +
    `unanswerable refused ${now.answers.correct_refusals}/${now.answers.unanswerable} ` +
    `(previous ${before?.answers.correct_refusals ?? '–'}); ` +
    `answerable refused ${now.answers.false_refusals} (previous ${before?.answers.false_refusals ?? '–'})`, '',
  '| retrieval | recall@1 | recall@5 | MRR | previous R@1 / R@5 |', '| --- | --: | --: | --: | --: |')
  for (const [mode, f] of Object.entries(now.retrieval) as Array<[SearchMode, RetrievalFigures]>) {
    const b = before?.retrieval[mode]
    lines.push(`| ${mode} | ${f.recall_at_1} | ${f.recall_at_5} | ${f.mrr} | ${b ? `${b.recall_at_1} / ${b.recall_at_5}` : '–'} |`)
  }
  return lines.join('\n')
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: {
    split: { type: 'string', default: 'all' },
    verbose: { type: 'boolean', default: false },
    'save-baseline': { type: 'boolean', default: false }
  } })
  const splits: Split[] = values.split === 'all' ? ['dev', 'test'] : [values.split as Split]
  const all = loadQuestions()
  const baseline = readBaseline()
  const started = Date.now()
  const figures: Baseline = {}
  for (const split of splits) {
    const questions = all.filter((q) => q.split === split)
    const verbose = values.verbose
      ? (q: EvalQuestion, o: QuestionOutcome) => {
          if (o.grade !== 'correct' && o.grade !== 'refused') {
            console.error(`${o.grade} ${q.id} [${q.style}] ${q.question}\n` +
              `  want ${JSON.stringify(q.facts)}  (docs ${q.document_ids.join(',')}, rank ${o.rank})\n  got  ${o.mode}: ${o.answer}\n`)
          } else if (o.grade === 'refused' && q.style !== 'unanswerable') console.error(`refused ${q.id} [${q.style}] ${q.question}\n`)
        }
      : undefined
    figures[split] = await evaluate(questions, verbose)
    console.log(`${report(split, figures[split], baseline[split])}\n`)
  }
  console.log(`${all.length} questions in eval/questions.jsonl; ${((Date.now() - started) / 1000).toFixed(1)} s`)
  if (values['save-baseline']) {
    writeFileSync(baselineFile, `${JSON.stringify({ ...baseline, ...figures }, null, 2)}\n`)
    console.log(`saved ${baselineFile}`)
  }
  console.log(JSON.stringify(figures))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
