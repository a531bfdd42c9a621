import { spawnSync } from 'node:child_process'
import t from 'tap'
import { metricName } from '../../lib/ops/metric.js'
import { version } from '../../lib/ops/version.js'
import { build, sharedEmbedder } from '../helper.js'
import { startFakeLlmServer } from '../../tools/lib/fake-llm-server.js'

const QUESTION = { question: 'Can I carry unused PTO into next year?' }

function sample (text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return line === undefined ? Number.NaN : Number(line.split(' ').at(-1))
}

// One app for the cases that need no particular setting and change nothing in it: each build loads the model anew.
const plain = await build(t, {}, { embedder: sharedEmbedder() })

t.test('metric names: the service\'s own carry policy_rag_, runtime defaults keep theirs, no gauge ends in _total', async (t) => {
  const app = plain
  await app.inject('/health')
  await app.inject({ method: 'POST', url: '/chat', payload: QUESTION })
  const body = (await app.inject('/metrics')).body
  const types = [...body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => ({ name: m[1] as string, type: m[2] as string }))
  t.ok(types.length > 20, 'many metrics')
  for (const { name, type } of types) {
    t.match(name, /^(policy_rag_|process_|nodejs_)/, `${name} is prefixed or a runtime default`)
    if (type !== 'counter') t.notMatch(name, /_total$/, `${name} (${type}) does not end in _total`)
  }
  for (const own of [
    'http_requests_total', 'answers_total', 'searches_total', 'index_available', 'memory_limit_bytes', 'llm_circuit_state'
  ]) {
    t.ok(types.some((m) => m.name === metricName(own)), `${metricName(own)} is exposed`)
    t.notOk(types.some((m) => m.name === own), `${own} is not exposed unprefixed`)
  }
  t.equal(metricName('answers_total'), 'policy_rag_answers_total')
  t.equal(metricName('policy_rag_answers_total'), 'policy_rag_answers_total', 'a prefixed name is kept')
})

t.test('policy_rag_build_info names the version, the Node, the model and the indexed corpus', async (t) => {
  const app = plain
  const body = (await app.inject('/metrics')).body
  const line = body.split('\n').find((l) => l.startsWith('policy_rag_build_info{'))
  t.ok(line, 'present')
  t.match(line, `version="${version}"`)
  t.match(line, `node="${process.versions.node}"`)
  t.match(line, `model="${app.embedder.card.id}"`)
  t.match(line, `index_sha="${app.policyIndex.current?.meta.corpus_sha256.slice(0, 12) ?? 'missing'}"`)
  t.match(line, /\} 1$/)
})

t.test('LLM prompt and completion tokens are counted from what the provider reports', async (t) => {
  const fake = await startFakeLlmServer()
  t.teardown(() => fake.close())
  const app = await build(t, { LLM_BASE_URL: fake.url, LLM_API_KEY: 'test-key', LLM_MAX_RETRIES: 0 }, { embedder: sharedEmbedder() })
  const before = (await app.inject('/metrics')).body
  fake.enqueue({ text: 'Up to 5 days carry over [1].', usage: { prompt_tokens: 812, completion_tokens: 41 } })
  fake.enqueue({ text: 'Yes, up to 5 days [1].', usage: { prompt_tokens: 700, completion_tokens: 9 } })
  for (let i = 0; i < 2; i++) t.equal((await app.inject({ method: 'POST', url: '/chat', payload: QUESTION })).json().mode, 'llm')
  const after = (await app.inject('/metrics')).body
  const moved = (name: string): number => sample(after, name) - (Number.isNaN(sample(before, name)) ? 0 : sample(before, name))
  t.equal(moved('policy_rag_llm_prompt_tokens_total'), 1512)
  t.equal(moved('policy_rag_llm_completion_tokens_total'), 50)
})

t.test('promtool check metrics finds nothing to flag (when promtool is installed)', async (t) => {
  const app = plain
  await app.inject('/health')
  const body = (await app.inject('/metrics')).body
  const found = spawnSync('promtool', ['--version'], { encoding: 'utf8' })
  if (found.error !== undefined) {
    t.comment('promtool is not installed (Debian package prometheus); .ci/run installs it')
    t.pass('the name checks above still ran')
    return
  }
  const checked = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' })
  t.equal(checked.status, 0, checked.stderr)
  t.equal(`${checked.stdout}${checked.stderr}`.trim(), '', 'no findings')
})
