import t from 'tap'
import { grade, normalise, states } from '../../../tools/lib/grade.js'

t.test('normalise: number words, separators, dates, case', async (t) => {
  t.equal(normalise('Twenty-one Days'), '21 days')
  t.equal(normalise('$2,500 by March 31st'), '$2500 by 31 march')
  t.equal(normalise('ten per cent'), '10 per cent')
  t.equal(normalise('70 percent'), '70%')
})

t.test('a fact is found on word boundaries only', async (t) => {
  t.ok(states(normalise('You get 5 days.'), ['five days']))
  t.notOk(states(normalise('You get 15 days.'), ['5 days']), '5 days is not inside 15 days')
  t.ok(states(normalise('Email hr@harbourline.example today.'), ['hr@harbourline.example']))
})

t.test('correct needs every fact, one of them in the first sentence; the attribution is not graded', async (t) => {
  const facts = [['10 paid sick days'], ['fourth day']]
  t.equal(grade('You get 10 paid sick days. A note is needed from the fourth day [1].', facts, [], []).grade, 'correct')
  t.equal(
    grade('Sick leave is separate. You get 10 paid sick days and a note from the fourth day.', facts, [], []).grade,
    'partial',
    'facts only after the first sentence'
  )
  t.equal(grade('You get 10 paid sick days [1].', facts, ['sick-leave-policy'], ['sick-leave-policy']).grade, 'partial', 'one fact missing')
  t.equal(grade('Ask your manager.', facts, ['pto-policy'], ['sick-leave-policy']).grade, 'wrong')
  t.equal(grade('Ask your manager.', facts, ['sick-leave-policy'], ['sick-leave-policy']).grade, 'partial', 'the right policy cited')
  t.equal(grade('From the Sick Leave policy (effective 1 January 2026): Ask your manager.', [['1 January']], [], []).grade, 'wrong',
    'a date in the attribution does not count')
  const noisy = grade('You get 10 paid sick days. The sky is blue. A note is needed from the fourth day.', facts, [], [])
  t.match(noisy, { sentences: 3, noiseSentences: 1 })
})
