/**
 * `npm run eval`: retrieval quality (recall@1, recall@5, MRR per mode) and extractive answer
 * accuracy on eval/questions.jsonl, through the same app the server runs (no LLM configured).
 * Last line: one JSON object with every figure.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { buildApp } from '../app.js'
import { repoRoot } from '../lib/paths.js'
import type { SearchMode } from '../lib/retrieval.js'

export interface EvalQuestion {
  id: string
  question: string
  document_ids: string[]
  answer: string
  type: 'single' | 'multi' | 'none'
}

export function loadQuestions (file = join(repoRoot, 'eval', 'questions.jsonl')): EvalQuestion[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as EvalQuestion)
}

export interface RetrievalFigures { recall_at_1: number, recall_at_5: number, mrr: number, questions: number }
export interface AnswerFigures {
  answerable: number
  phrase_found: number
  phrase_accuracy: number
  answered_with_citations: number
  false_refusals: number
  unanswerable: number
  correct_refusals: number
}

export async function evaluate (questions = loadQuestions()): Promise<{ retrieval: Record<SearchMode, RetrievalFigures>, answers: AnswerFigures }> {
  const app = await buildApp({ env: {}, logger: false, config: { RATE_LIMIT_MAX: 0 } })
  try {
    await app.ready()
    const answerable = questions.filter((q) => q.type !== 'none')
    const retrieval = {} as Record<SearchMode, RetrievalFigures>
    for (const mode of ['vector', 'keyword', 'hybrid'] as const) {
      let hits1 = 0
      let hits5 = 0
      let reciprocal = 0
      for (const q of answerable) {
        const { results } = await app.retriever.retrieve({ query: q.question, topK: 5, mode })
        const rank = results.findIndex((r) => q.document_ids.includes(r.document_id)) + 1
        if (rank === 1) hits1++
        if (rank >= 1) { hits5++; reciprocal += 1 / rank }
      }
      const n = answerable.length
      retrieval[mode] = { recall_at_1: round(hits1 / n), recall_at_5: round(hits5 / n), mrr: round(reciprocal / n), questions: n }
    }
    return { retrieval, answers: await evaluateAnswers(app, questions) }
  } finally {
    await app.close()
  }
}

async function evaluateAnswers (app: Awaited<ReturnType<typeof buildApp>>, questions: EvalQuestion[]): Promise<AnswerFigures> {
  const figures: AnswerFigures = { answerable: 0, phrase_found: 0, phrase_accuracy: 0, answered_with_citations: 0, false_refusals: 0, unanswerable: 0, correct_refusals: 0 }
  for (const q of questions) {
    const res = await app.inject({ method: 'POST', url: '/chat', payload: { question: q.question } })
    const body = res.json() as { answer: string, mode: string, citations: Array<{ document_id: string }> }
    if (q.type === 'none') {
      figures.unanswerable++
      if (body.mode === 'refused') figures.correct_refusals++
      continue
    }
    figures.answerable++
    if (body.mode === 'refused') figures.false_refusals++
    if (body.citations?.length > 0) figures.answered_with_citations++
    if (body.answer.toLowerCase().includes(q.answer.toLowerCase())) figures.phrase_found++
    else if (process.env.EVAL_VERBOSE) console.error(`miss ${q.id}: ${q.question}\n  want "${q.answer}"\n  got  ${body.mode}: ${body.answer}\n`)
  }
  figures.phrase_accuracy = round(figures.phrase_found / figures.answerable)
  return figures
}

function round (value: number): number {
  return Math.round(value * 1000) / 1000
}

async function main (): Promise<void> {
  const questions = loadQuestions()
  const started = Date.now()
  const result = await evaluate(questions)
  console.log(`eval/questions.jsonl: ${questions.length} questions (${result.retrieval.hybrid.questions} answerable)\n`)
  console.log('| mode | recall@1 | recall@5 | MRR |')
  console.log('| --- | --- | --- | --- |')
  for (const [mode, f] of Object.entries(result.retrieval)) console.log(`| ${mode} | ${f.recall_at_1} | ${f.recall_at_5} | ${f.mrr} |`)
  const a = result.answers
  console.log(`\nextractive answers: expected phrase in the answer ${a.phrase_found}/${a.answerable} (${a.phrase_accuracy}); ` +
    `with citations ${a.answered_with_citations}/${a.answerable}; refused wrongly ${a.false_refusals}; ` +
    `unanswerable refused ${a.correct_refusals}/${a.unanswerable}  (${((Date.now() - started) / 1000).toFixed(1)} s)`)
  console.log(JSON.stringify(result))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
