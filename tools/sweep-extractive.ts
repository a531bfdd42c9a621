/**
 * Tunes the extractive answerer's weights on the dev split only: retrieves once per question,
 * then grades the answers of each option set in a one-at-a-time sweep around the defaults.
 *   npx tsx tools/sweep-extractive.ts
 */
import { buildApp } from '../app.js'
import { EXTRACTIVE_DEFAULTS, type ExtractiveOptions } from '../lib/answer/extractive.js'
import { loadQuestions } from './eval.js'
import { gradeExtractive, retrieveQuestions } from './lib/extractive-questions.js'

const app = await buildApp({ env: {}, logger: false, config: { RATE_LIMIT_MAX: 0 } })
await app.ready()
const prepared = await retrieveQuestions(app, loadQuestions().filter((q) => q.split === 'dev' && q.style !== 'unanswerable'))
async function score (options: Partial<ExtractiveOptions>): Promise<number> {
  let correct = 0
  for (const question of prepared) if (await gradeExtractive(app, question, options) === 'correct') correct++
  return correct
}
console.log('defaults', await score({}), 'of', prepared.length)
const grid: Partial<Record<keyof ExtractiveOptions, number[]>> = {

  nextStepCutoff: [0.4, 0.5, 0.7, 0.8],
  similarityWeight: [0.3, 0.45, 0.65, 0.75],
  kindBoost: [0, 0.05, 0.08, 0.18, 0.25],
  rankWeight: [0, 0.04, 0.12, 0.2],
  neighbourCutoff: [0.75, 0.85, 0.95, 1.5],
  continuationCutoff: [0.2, 0.5, 0.7, 5],
  synonymWeight: [0, 0.25, 0.75, 1]
}
for (const [key, values] of Object.entries(grid)) {
  const row = []
  for (const v of values ?? []) row.push(`${v}:${await score({ [key]: v })}`)
  console.log(key, `(default ${EXTRACTIVE_DEFAULTS[key as keyof ExtractiveOptions]})`, row.join(' '))
}
await app.close()
