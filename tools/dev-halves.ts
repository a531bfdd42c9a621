/**
 * The extractive answerer's dev figures split by even and odd question ids, the two-fold check a
 * change must pass (help, or at least not hurt, both halves): correct answers per half, noise, and
 * refusals (the guardrails' screen read once through POST /chat, then the answerer in process).
 * Each argument is one option set as JSON; the grades of each go to /tmp/dev-halves-<label>-<i>.json for diffing.
 *   npx tsx tools/dev-halves.ts <label> ['{"otherFigureFit":0.5}' ...]
 */
import { writeFileSync } from 'node:fs'
import { buildApp } from '../app.js'
import type { ExtractiveOptions } from '../lib/answer/extractive.js'
import { loadQuestions } from './eval.js'
import { extractiveGrading, retrieveQuestions, type RetrievedQuestion } from './lib/extractive-questions.js'

const label = process.argv[2] ?? 'run'
const optionSets = (process.argv.length > 3 ? process.argv.slice(3) : ['{}']).map((s) => JSON.parse(s) as Partial<ExtractiveOptions>)
const app = await buildApp({ env: {}, logger: false, config: { RATE_LIMIT_MAX: 0 } })
await app.ready()
const dev = loadQuestions().filter((q) => q.split === 'dev')
const screened = new Set<string>()
for (const q of dev) {
  const res = await app.inject({ method: 'POST', url: '/chat', payload: { question: q.question, history: q.history ?? [] } })
  const body = res.json() as { mode: string, reason?: string }
  if (body.mode === 'refused' && body.reason !== 'no_relevant') screened.add(q.id)
}
const prepared = await retrieveQuestions(app, dev)

async function outcome (retrieved: RetrievedQuestion, options: Partial<ExtractiveOptions>) {
  const graded = screened.has(retrieved.question.id) ? null : await extractiveGrading(app, retrieved, options)
  if (graded === null) return { grade: 'refused', sentences: 0, noise: 0 }
  if (retrieved.question.style === 'unanswerable') return { grade: 'answered', sentences: 0, noise: 0 }
  return { grade: graded.grade, sentences: graded.sentences, noise: graded.noiseSentences }
}

for (const [i, options] of optionSets.entries()) {
  const grades: Record<string, string> = {}
  const t = { even: 0, odd: 0, sentences: 0, noise: 0, answerableRefused: 0, unanswerableRefused: 0, unanswerable: 0 }
  for (const r of prepared) {
    const o = await outcome(r, options)
    grades[r.question.id] = o.grade
    t.sentences += o.sentences
    t.noise += o.noise
    if (r.question.style === 'unanswerable') {
      t.unanswerable++
      if (o.grade === 'refused') t.unanswerableRefused++
    } else if (o.grade === 'refused') t.answerableRefused++
    else if (o.grade === 'correct' && Number(r.question.id.slice(1)) % 2 === 0) t.even++
    else if (o.grade === 'correct') t.odd++
  }
  console.log(`${label} ${JSON.stringify(options)}: even ${t.even}, odd ${t.odd}, dev ${t.even + t.odd}; ` +
    `noise ${(100 * t.noise / Math.max(1, t.sentences)).toFixed(1)} %; answerable refused ${t.answerableRefused}; ` +
    `unanswerable refused ${t.unanswerableRefused}/${t.unanswerable}`)
  writeFileSync(`/tmp/dev-halves-${label}-${i}.json`, JSON.stringify(grades))
}
await app.close()
