import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { evaluateQuestion, FIXTURE_CATEGORIES, matchesExpectation, parseFixtures, scoreFixtures } from '../../../lib/guardrails/evaluate.js'
import { GUARDRAILS_LEVELS } from '../../../lib/guardrails/types.js'
import { repoRoot } from '../../../lib/paths.js'

const cases = parseFixtures(readFileSync(join(repoRoot, 'test', 'fixtures', 'guardrails.jsonl'), 'utf8'))

t.test('the labelled set is large and covers every category', async (t) => {
  t.ok(cases.length >= 150, `${cases.length} cases`)
  t.equal(new Set(cases.map((c) => c.id)).size, cases.length, 'ids are unique')
  for (const category of FIXTURE_CATEGORIES) t.ok(cases.filter((c) => c.category === category).length >= 20, category)
  t.ok(cases.some((c) => c.history !== undefined), 'some cases carry history')
  t.ok(
    cases.filter((c) => c.category === 'off_topic').every((c) => typeof c.lexical === 'boolean'),
    'off-topic cases say whether wording alone catches them'
  )
})

for (const level of GUARDRAILS_LEVELS) {
  t.test(`every case gets its expected decision at level ${level}`, async (t) => {
    for (const c of cases) {
      const outcome = evaluateQuestion(c.text, c.history, level)
      t.ok(matchesExpectation(outcome, c.expect[level]), `${c.id} ${c.category}`, { found: outcome, wanted: c.expect[level] })
    }
  })
}

t.test('standard meets the targets: injection recall, PII recall, no false redactions or refusals', async (t) => {
  const report = scoreFixtures(cases, 'standard')
  t.ok((report.injection.recall ?? 0) >= 0.95, `injection recall ${report.injection.recall}`)
  t.ok((report.pii.recall ?? 0) >= 0.98, `pii recall ${report.pii.recall}`)
  t.equal(report.pii_near_miss_false_redactions, 0)
  t.same(report.legit_refused, [])
  t.same(report.expectation_mismatches, [])
})

t.test('malformed fixture lines are rejected with their line number', async (t) => {
  t.throws(() => parseFixtures('{"id":"x","text":"y","category":"nope","expect":{}}'), /line 1: bad category/)
  t.throws(
    () => parseFixtures('\n{"id":"x","text":"y","category":"legit","expect":{"off":{"decision":"maybe","pii":[]}}}'),
    /line 2: bad decision/
  )
})
