/**
 * The eval's answerable questions answered extractively in process, as /chat would answer them
 * with no LLM: each is retrieved once (follow-ups with the turn they lean on), then answered and
 * graded as often as a tool needs, for example once per option set of a sweep.
 */
import type { FastifyInstance } from 'fastify'
import { extractivePassages } from '../../lib/answer/chat.js'
import { checkCitations } from '../../lib/answer/citations.js'
import { answerExtractively, type ExtractiveOptions, type ExtractiveQuestion } from '../../lib/answer/extractive.js'
import { followUp } from '../../lib/answer/follow-up.js'
import { knownTo } from '../../lib/search/synonyms.js'
import type { EvalQuestion } from '../eval.js'
import { grade, type Grade, type GradeResult } from './grade.js'

export interface RetrievedQuestion {
  question: EvalQuestion
  input: ExtractiveQuestion
  passages: ReturnType<typeof extractivePassages>
}

export async function retrieveQuestions (app: FastifyInstance, questions: readonly EvalQuestion[]): Promise<RetrievedQuestion[]> {
  const embed = async (texts: string[]) => app.embedder.embed(texts)
  const knownPhrase = knownTo(app.retriever.store()?.vocabulary() ?? new Set())
  const retrieved: RetrievedQuestion[] = []
  for (const question of questions) {
    const { context, query } = followUp(question.question, question.history ?? [])
    const retrieval = await app.retriever.retrieve({ query, topK: 5, mode: 'hybrid' })
    const input = { question: question.question, context, questionVector: retrieval.queryVector, embedQuestion: embed, knownPhrase }
    retrieved.push({ question, input, passages: extractivePassages(retrieval.results) })
  }
  return retrieved
}

/** The strict grading of the extractive answer to one retrieved question (null when it gives none). */
export async function extractiveGrading (
  app: FastifyInstance, { question, input, passages }: RetrievedQuestion, options: Partial<ExtractiveOptions> = {}
): Promise<GradeResult | null> {
  const answer = await answerExtractively(input, passages, async (texts) => app.embedder.embed(texts), options)
  if (answer === null) return null
  const numbered = checkCitations(answer.answer, passages.length)
  const cited = numbered.cited.map((n) => passages[n - 1]?.document_id ?? '')
  return grade(numbered.answer, question.facts, cited, question.document_ids)
}

/** The strict grade of the extractive answer to one retrieved question ('refused' when it gives none). */
export async function gradeExtractive (
  app: FastifyInstance, retrieved: RetrievedQuestion, options: Partial<ExtractiveOptions> = {}
): Promise<Grade | 'refused'> {
  return (await extractiveGrading(app, retrieved, options))?.grade ?? 'refused'
}
