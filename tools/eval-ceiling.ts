/**
 * How far quoting can go: for each answerable question of a split, whether the retrieved passages
 * hold every key fact at all, in one unit, in a span of up to three adjacent units, or in two
 * separate units, beside how the extractive answer was graded. It tells unit selection (the right
 * unit was there) from retrieval (it was not) as the cause of a wrong answer.
 *   npx tsx tools/eval-ceiling.ts [dev|test] [v]
 */
import { buildApp } from '../app.js'
import { answerExtractively } from '../lib/answer/extractive.js'
import { answerUnits } from '../lib/answer/answer-units.js'
import { followUp } from '../lib/answer/follow-up.js'
import { checkCitations } from '../lib/answer/citations.js'
import { knownTo } from '../lib/search/synonyms.js'
import { loadQuestions } from './eval.js'
import { grade, normalise, states } from './lib/grade.js'

const split = process.argv[2] ?? 'dev'
const app = await buildApp({ env: {}, logger: false, config: { RATE_LIMIT_MAX: 0 } })
await app.ready()
const questions = loadQuestions().filter((q) => q.split === split && q.style !== 'unanswerable')
const embed = async (texts: string[]) => app.embedder.embed(texts)
const tally: Record<string, number> = {}
const inc = (k: string) => { tally[k] = (tally[k] ?? 0) + 1 }
for (const q of questions) {
  const { context, query } = followUp(q.question, q.history ?? [])
  const retrieval = await app.retriever.retrieve({ query, topK: 5, mode: 'hybrid' })
  const passages = retrieval.results.map((r, i) => ({ n: i + 1, text: r.text, heading: r.heading, document_id: r.document_id, document_title: r.document_title, version: r.version, effective_date: r.effective_date }))
  const a = await answerExtractively({ question: q.question, context, questionVector: retrieval.queryVector, embedQuestion: embed, knownPhrase: knownTo(app.retriever.store()?.vocabulary() ?? new Set()) }, passages, embed)
  let g = 'refused'
  if (a) { const numbered = checkCitations(a.answer, passages.length); g = grade(numbered.answer, q.facts, numbered.cited.map((n) => passages[n - 1]?.document_id ?? ''), q.document_ids).grade }
  const all = normalise(passages.map((p) => p.text).join(' '))
  const inPassages = q.facts.every((f) => states(all, f))
  const units = passages.flatMap((p) => answerUnits(p.text, p.heading).map((u) => ({ ...u, n: p.n, norm: normalise(u.text) })))
  const covers = (texts: string[]) => { const t = texts.join(' '); return q.facts.every((f) => states(t, f)) }
  const oneUnit = units.some((u) => covers([u.norm]))
  let span3 = false
  for (let i = 0; i < units.length && !span3; i++) for (let k = 1; k <= 3 && !span3; k++) {
    const s = units.slice(i, i + k); if (s.length === k && s.every((u) => u.n === s[0]!.n && u.block === s[0]!.block)) span3 = covers(s.map((u) => u.norm))
  }
  let twoAny = false
  for (let i = 0; i < units.length && !twoAny; i++) for (let j = i; j < units.length && !twoAny; j++) twoAny = covers([units[i]!.norm, units[j]!.norm])
  const where = !inPassages ? 'notRetrieved' : oneUnit ? 'oneUnit' : span3 ? 'span3' : twoAny ? 'twoUnits' : 'more'
  inc(`${g}:${where}`); inc(`all:${where}`)
  if (process.argv[3] === 'v' && g !== 'correct') console.log(g, where, q.id, q.style, q.question.slice(0, 90))
}
console.log(Object.entries(tally).sort().map(([k, v]) => `${k} ${v}`).join('\n'))
await app.close()
