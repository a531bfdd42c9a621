/**
 * How far quoting can go: for each answerable question of a split, whether the retrieved passages
 * hold every key fact at all, in one unit, in a span of up to three adjacent units, or in two
 * separate units, beside how the extractive answer was graded. It tells unit selection (the right
 * unit was there) from retrieval (it was not) as the cause of a wrong answer.
 *   npx tsx tools/eval-ceiling.ts [dev|test] [v]
 */
import { buildApp } from '../app.js'
import { answerUnits, type AnswerUnit } from '../lib/answer/answer-units.js'
import { loadQuestions } from './eval.js'
import { gradeExtractive, retrieveQuestions } from './lib/extractive-questions.js'
import { normalise, states, type Fact } from './lib/grade.js'

const split = process.argv[2] ?? 'dev'
const app = await buildApp({ env: {}, logger: false, config: { RATE_LIMIT_MAX: 0 } })
await app.ready()
const questions = loadQuestions().filter((q) => q.split === split && q.style !== 'unanswerable')
const tally = new Map<string, number>()
const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1)

type Unit = AnswerUnit & { n: number, norm: string }

/** Where the facts are: in the passages at all, in one unit, in a span of up to 3 adjacent units, in two units. */
function whereFacts (facts: readonly Fact[], units: readonly Unit[], passagesText: string): string {
  const covers = (texts: string[]) => facts.every((f) => states(texts.join(' '), f))
  if (!covers([normalise(passagesText)])) return 'notRetrieved'
  if (units.some((u) => covers([u.norm]))) return 'oneUnit'
  for (let i = 0; i < units.length; i++) {
    for (let k = 2; k <= 3; k++) {
      const span = units.slice(i, i + k)
      const oneBlock = span.length === k && span.every((u) => u.n === units[i]?.n && u.block === units[i]?.block)
      if (oneBlock && covers(span.map((u) => u.norm))) return 'span3'
    }
  }
  for (const a of units) for (const b of units) if (covers([a.norm, b.norm])) return 'twoUnits'
  return 'more'
}

for (const retrieved of await retrieveQuestions(app, questions)) {
  const { question: q, passages } = retrieved
  const outcome = await gradeExtractive(app, retrieved)
  const units = passages.flatMap((p) => answerUnits(p.text, p.heading).map((u) => ({ ...u, n: p.n, norm: normalise(u.text) })))
  const where = whereFacts(q.facts, units, passages.map((p) => p.text).join(' '))
  count(`${outcome}:${where}`)
  count(`all:${where}`)
  if (process.argv[3] === 'v' && outcome !== 'correct') console.log(outcome, where, q.id, q.style, q.question.slice(0, 90))
}
console.log([...tally].sort().map(([k, v]) => `${k} ${v}`).join('\n'))
await app.close()
