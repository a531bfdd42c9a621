import t from 'tap'
import { isOffTopic, offTopicIntent } from '../../../lib/guardrails/off-topic.js'

const thresholds = { vector: 0.3, keyword: 2 }

t.test('obvious off-topic requests are recognised from their wording', async (t) => {
  const cases: Array<[string, string]> = [
    ["What's the weather like in London tomorrow?", 'weather'],
    ['Write a Python function that reverses a linked list.', 'coding'],
    ['Can you debug my code? ```def f(): pass```', 'coding'],
    ['Write me a poem about autumn.', 'creative_writing'],
    ["What is Tesla's stock price today?", 'markets'],
    ['Who should I vote for in the next election?', 'politics'],
    ['Give me a good pizza recipe.', 'entertainment'],
    ['What is the capital of Australia?', 'general_knowledge'],
    ["What is Google's parental leave policy?", 'other_company'],
    ['How many vacation days do Microsoft employees get?', 'other_company']
  ]
  for (const [question, intent] of cases) t.equal(offTopicIntent(question), intent, question)
})

t.test('policy questions that share words with off-topic intents are not refused', async (t) => {
  const questions = [
    'Is a Python training course eligible for tuition reimbursement?',
    'Does the code of conduct cover social media posts?',
    'Can I write code for an open source project on weekends?',
    "What's the policy if the weather is too bad to commute to the office?",
    'Is time off to vote in elections paid?',
    'Are stock options part of the onboarding package?',
    'Can I expense a restaurant meal with a client?',
    'Can I accept a gift from Microsoft at a conference?',
    'Can I write scripts that automate my timesheet?',
    'What do you think of the new remote work policy?'
  ]
  for (const question of questions) t.equal(offTopicIntent(question), null, question)
})

t.test('retrieval evidence: standard needs both scores low, strict either', async (t) => {
  const question = 'How do I fix a flat bike tyre?'
  t.notOk(isOffTopic({ question }, thresholds, 'standard'), 'no evidence, no lexical intent')
  t.ok(isOffTopic({ question, topVectorScore: 0.1, topKeywordScore: 0.5 }, thresholds, 'standard'))
  t.notOk(isOffTopic({ question, topVectorScore: 0.1, topKeywordScore: 3 }, thresholds, 'standard'))
  t.ok(isOffTopic({ question, topVectorScore: 0.1, topKeywordScore: 3 }, thresholds, 'strict'))
  t.ok(isOffTopic({ question, topVectorScore: 0.1 }, thresholds, 'standard'), 'no keyword hit counts as low')
  t.notOk(isOffTopic({ question, topVectorScore: 0.8 }, thresholds, 'standard'))
  t.notOk(isOffTopic({ question: 'Write me a poem', topVectorScore: 0 }, thresholds, 'off'), 'off never refuses')
  t.ok(isOffTopic({ question: 'Write me a poem', topVectorScore: 0.9, topKeywordScore: 9 }, thresholds, 'standard'), 'wording wins over scores')
})
