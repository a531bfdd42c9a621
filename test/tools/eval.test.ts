import t from 'tap'
import { evaluate, loadQuestions } from '../../tools/eval.js'

t.test('retrieval and extractive answers hold their measured quality on eval/questions.jsonl', async (t) => {
  const questions = loadQuestions()
  t.ok(questions.length >= 80, `${questions.length} questions`)
  const result = await evaluate(questions)
  t.ok(result.retrieval.hybrid.recall_at_5 >= 0.9, `hybrid recall@5 ${result.retrieval.hybrid.recall_at_5} >= 0.9`)
  t.ok(result.retrieval.hybrid.mrr >= result.retrieval.vector.mrr && result.retrieval.hybrid.mrr >= result.retrieval.keyword.mrr,
    'fusion beats either ranking alone on MRR')
  t.equal(result.answers.false_refusals, 0, 'no answerable question is refused')
  t.ok(result.answers.phrase_accuracy >= 0.65, `expected phrase in ${result.answers.phrase_accuracy} of extractive answers`)
  t.equal(result.answers.answered_with_citations, result.answers.answerable, 'every answer cites its sources')
})
