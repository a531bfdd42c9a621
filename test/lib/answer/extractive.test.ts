import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { answerUnits } from '../../../lib/answer/answer-units.js'
import { createEmbedder } from '../../../lib/embedding/embedder.js'
import { answerExtractively } from '../../../lib/answer/extractive.js'
import { contextTurn, retrievalQuery } from '../../../lib/answer/follow-up.js'
import { defaultModelDir, repoRoot } from '../../../lib/paths.js'
import { questionKind } from '../../../lib/answer/question-kind.js'

t.test('answerUnits: sentences, list items under their lead-in, table rows with their header', async (t) => {
  const md = readFileSync(join(repoRoot, 'test', 'fixtures', 'answer-units.md'), 'utf8')
  const units = answerUnits(md, 'Paid Time Off > Intro')
  t.same(units.map((u) => u.text), [
    'Up to 5 unused days carry over.',
    'They expire on 31 March if unused.',
    'Each employee has a budget of $1,500.',
    'Each employee has a budget of $1,500. It can be used for: courses.',
    'Each employee has a budget of $1,500. It can be used for: conference fees.',
    'Claim total: Up to $2,500; Approver: Direct manager.',
    'Illness during PTO: Days of illness are restored to the balance.'
  ])
  t.equal(units[0]?.heading, 'Carry-over', 'units are headed by the heading line above them')
  t.equal(units[0]?.block, units[1]?.block, 'sentences of one paragraph share a block')
  t.not(units[1]?.block, units[5]?.block)
  t.equal(
    answerUnits('Plain sentence with four words.', 'Sick Leave > Entitlement')[0]?.heading,
    'Entitlement',
    "the passage's heading heads units before any heading line"
  )
})

t.test('questionKind: yes/no, instruction, quantity only for real quantity questions, two parts', async (t) => {
  t.match(questionKind('Can I carry unused PTO into next year?'), { yesNo: true, quantity: false })
  t.match(questionKind('Who do I tell if my laptop is stolen?'), { instruction: true })
  t.match(questionKind('I lost my badge, what should I do?'), { instruction: true })
  t.match(questionKind('My phone was stolen. What do I need to do?'), { instruction: true })
  t.match(questionKind('What needs to be done before my last day?'), { instruction: true })
  t.match(questionKind('What do I need to know about parking?'), { instruction: false })
  t.match(questionKind('How long is parental leave?'), { quantity: true })
  t.match(questionKind('When do carried-over days expire?'), { quantity: true })
  t.match(questionKind('What happens when the fire alarm goes off?'), { quantity: false }, 'a "when" clause is not a quantity question')
  t.match(questionKind("What's the maximum tip I can expense?"), { quantity: true }, '"what\'s" reads as "what is"')
  t.match(questionKind("What's the nightly hotel limit?"), { quantity: true }, 'words may stand between "the" and "limit"')
  const types = {
    'How much is the home office allowance?': 'money',
    'What is the mileage rate?': 'money',
    'How much notice do I need to give?': 'deadline',
    'How soon must I report a lost laptop?': 'deadline',
    'How long is parental leave?': 'duration',
    'How many weeks of leave do I get?': 'duration',
    'How often is the training repeated?': 'frequency',
    'When is the office closed?': 'date',
    "What's the earliest I can start work?": 'time',
    'How many sick days do I get?': null,
    'What happens when the fire alarm goes off?': null
  }
  for (const [question, type] of Object.entries(types)) t.equal(questionKind(question).answerType, type, question)
  t.same(
    questionKind('How many sick days do I get, and do I need a doctor\'s note?').parts,
    ['How many sick days do I get', 'do I need a doctor\'s note?']
  )
  t.same(
    questionKind('Can I work from home and from a café?').parts,
    ['Can I work from home and from a café?'],
    'and between nouns does not split'
  )
})

t.test('follow-ups lean on the previous user turn only when they need it', async (t) => {
  const history = [{ role: 'user', content: 'How many vacation days do I get?' }, { role: 'assistant', content: '21 days [1].' }]
  t.equal(contextTurn('and for part-timers?', history), 'How many vacation days do I get?')
  t.equal(contextTurn('What about it in my first year?', history), 'How many vacation days do I get?')
  t.equal(contextTurn('How do I report a phishing email to the security team?', history), null, 'a standalone question stands alone')
  t.equal(retrievalQuery('and for part-timers?', []), 'and for part-timers?', 'no history, nothing to lean on')
  t.equal(retrievalQuery('and for part-timers?', history), 'How many vacation days do I get? 21 days. and for part-timers?',
    'retrieval also reads the reply, without its citation marks')
  const longReply = [{ role: 'user', content: 'What is a PIP?' }, { role: 'assistant', content: `A plan. ${'word '.repeat(200)}` }]
  t.ok(retrievalQuery('How long is it?', longReply).length < 400, 'only the start of a long reply is read')
  t.equal(retrievalQuery('and abroad?', [...history, { role: 'user', content: 'And sick days?' }]), 'And sick days? and abroad?',
    'a reply counts only when it is the last turn')
})

t.test('answers with one span from the passage that answers, attributed and cited', async (t) => {
  const embedder = createEmbedder({ modelDir: defaultModelDir })
  t.teardown(() => embedder.close())
  const embed = (texts: string[]): Promise<Float32Array[]> => embedder.embed(texts)
  const passages = [
    {
      n: 1,
      heading: 'Expenses > Receipts',
      document_id: 'expense-policy',
      document_title: 'Expense Reimbursement',
      version: '4.3',
      effective_date: '2026-02-01',
      text: 'Keep itemised receipts for every expense over $25. Lost receipts need a signed declaration.'
    },
    {
      n: 2,
      heading: 'Paid Time Off > Carry-over',
      document_id: 'pto-policy',
      document_title: 'Paid Time Off',
      version: '3.2',
      effective_date: '2026-01-01',
      text: 'Up to 5 unused PTO days carry over to the next year. They expire on 31 March. Holidays are set by the calendar.'
    },
    {
      n: 3,
      heading: 'Passwords',
      document_id: 'password-mfa-policy',
      document_title: 'Passwords',
      text: 'Passwords must be at least 14 characters long. Use the company password manager for every account [1].'
    }
  ]
  const ask = async (question: string, options = {}) => {
    const [qv] = await embed([question])
    return answerExtractively({ question, questionVector: qv as Float32Array, embedQuestion: embed }, passages, embed, options)
  }
  const answer = await ask('Can I carry unused vacation days into next year?')
  t.match(
    answer?.answer,
    new RegExp(String.raw`^From the Paid Time Off policy \(v3\.2, effective 1 January 2026\): ` +
      String.raw`Up to 5 unused PTO days carry over to the next year\. They expire on 31 March \[2\]\.`),
    'a sentence going on about the best one joins it'
  )
  t.same(answer?.cited, [2], 'one source, the one quoted')
  t.notMatch(answer?.answer, /Holidays are set/, 'sentences that do not answer are left out')

  const expiry = await ask('When do carried-over PTO days expire?')
  t.match(
    expiry?.answer,
    /Up to 5 unused PTO days carry over to the next year\. They expire on 31 March \[2\]\./,
    'an anaphor takes the sentence before it'
  )

  const appeal = await answerExtractively({ question: 'Who do I appeal to about an investigation outcome?', questionVector: null }, [
    {
      n: 1,
      heading: 'Anti-Harassment > Outcome',
      document_id: 'anti-harassment-policy',
      document_title: 'Anti-Harassment',
      text: 'Both parties are told the outcome in writing. Either party may appeal to the VP of People within 10 working days.'
    }
  ], embed)
  t.match(
    appeal?.answer,
    /: Either party may appeal to the VP of People/,
    '"Either party" stands on its own: the sentence before it is not taken'
  )

  const password = await ask('How long must passwords be?')
  t.notMatch(password?.answer, /\[1\]/, "a bracketed number in the policy's text is not a citation")
  t.match(password?.answer, /\[3\]\.$/)

  const wordsOnlyAsk = async (question: string, text: string, options = {}) => answerExtractively(
    { question, questionVector: null },
    [{ n: 1, heading: 'Policy > Section', document_id: 'p', document_title: 'Some', text }],
    embed,
    options
  )
  const sickDays = await wordsOnlyAsk('How many sick days do I get?',
    'Sick days may be taken in half-day units. Employees receive 10 paid days of sick leave a year.')
  t.match(sickDays?.answer, /: Employees receive 10 paid days of sick leave a year \[1\]\.$/,
    '"may" is a modal verb, not the month: it is no figure')
  const often = await wordsOnlyAsk('How often is the training repeated?',
    'The training is repeated by all staff. Managers repeat the training every year.')
  t.match(often?.answer, /: Managers repeat the training every year/, '"every year" answers "how often"')
  const allowance = await wordsOnlyAsk('How much is the home office allowance?',
    'The home office allowance is paid once, within 30 days of joining. The home office allowance is $500.')
  t.match(allowance?.answer, /: The home office allowance is \$500 \[1\]\.$/, '"how much" wants a sum, not any figure')
  const close = await wordsOnlyAsk('Where is the first aid kit kept?',
    'The first aid kit is kept in the kitchen. The first aid kit is checked by the team. The first aid kit is restocked every month.',
    { neighbourCutoff: 0.5 })
  t.match(close?.answer, /: The first aid kit is kept in the kitchen \[1\]\.$/, 'a close neighbour stating no fact does not join the span')
  const closeFact = await wordsOnlyAsk('Where is the first aid kit kept?',
    'The first aid kit is kept in the kitchen. The first aid kit is restocked every month.',
    { neighbourCutoff: 0.5 })
  t.match(closeFact?.answer, /kitchen\. The first aid kit is restocked every month \[1\]\.$/, 'a close neighbour stating a figure joins')
  const steps = 'Costs are reimbursed after each course is completed with a grade of B or better. ' +
    'Submit the transcript for the course in Ledgerly within 60 days.'
  const reimbursed = await wordsOnlyAsk('How do I get reimbursed for a course?', steps)
  t.match(reimbursed?.answer, /: Submit the transcript for the course in Ledgerly within 60 days \[1\]\.$/,
    'an instruction opens with the step, not with the sentence that only states the rule')
  t.match((await wordsOnlyAsk('How do I get reimbursed for a course?', steps, { leadWithAction: false }))?.answer,
    /: Costs are reimbursed/, 'without that preference the best-matching sentence leads')

  const theft = await wordsOnlyAsk('My phone was stolen. What do I need to do?',
    'If a phone is stolen, report it to the IT Service Desk within 1 hour. Also report a theft to the police.')
  t.match(theft?.answer, /within 1 hour\. Also report a theft to the police \[1\]\.$/, 'a step added with "Also" joins the step before it')

  const followUpAnswer = async (contextWeight: number) => answerExtractively(
    { question: 'and for part-time staff?', context: 'How much annual leave do full-time staff get?', questionVector: null },
    [{ n: 1, heading: 'Leave > Amount', document_id: 'p', document_title: 'Leave', text:
      'Full-time staff get 25 days of annual leave. Part-time staff get leave in proportion to their hours.' }],
    embed,
    { contextWeight, neighbourCutoff: 2 }
  )
  t.match((await followUpAnswer(0.25))?.answer, /: Part-time staff get leave/, "a follow-up's own words count more than the turn before")
  t.match((await followUpAnswer(1))?.answer, /: Full-time staff get 25 days/, 'counted alike, the earlier turn outweighs them')

  t.equal(await ask('zzzz qqqq', { minScore: 0.9 }), null, 'below the confidence floor there is no answer')
  t.equal(await answerExtractively({ question: 'x', questionVector: null }, [], embed), null, 'no passages, no answer')
  const wordsOnly = await answerExtractively({ question: 'How long must passwords be?', questionVector: null }, passages, embed)
  t.match(wordsOnly?.answer, /14 characters/, 'without an embedding model the words decide')
})
