import t from 'tap'
import { ConfigError, loadConfig } from '../../lib/config.js'

t.test('defaults when nothing is set', async (t) => {
  const config = loadConfig({}, {})
  t.equal(config.PORT, 8080)
  t.equal(config.MAX_TOKENS, 500)
  t.equal(config.GUARDRAILS_LEVEL, 'standard')
  t.equal(config.LLM_TIMEOUT_MS, 30000)
  t.equal(config.LLM_CONDENSE_TIMEOUT_MS, 1500)
  t.equal(config.VECTOR_STORE_PATH, '')
  t.equal(config.LLM_API_KEY, '')
})

t.test('reads the original deployment variable names from the environment, typed', async (t) => {
  const config = loadConfig(
    {},
    {
      PORT: '3001',
      MAX_TOKENS: '300',
      GUARDRAILS_LEVEL: 'strict',
      OPENROUTER_API_KEY: 'sk-or-x',
      NODE_ENV: 'production',
      LOG_PRETTY: 'true'
    }
  )
  t.equal(config.PORT, 3001)
  t.equal(config.MAX_TOKENS, 300)
  t.equal(config.GUARDRAILS_LEVEL, 'strict')
  t.equal(config.OPENROUTER_API_KEY, 'sk-or-x')
  t.equal(config.LOG_PRETTY, true)
})

t.test('overrides win over the environment', async (t) => {
  const config = loadConfig({ PORT: 0, GUARDRAILS_LEVEL: 'off' }, { PORT: '3001', GUARDRAILS_LEVEL: 'strict' })
  t.equal(config.PORT, 0)
  t.equal(config.GUARDRAILS_LEVEL, 'off')
})

t.test('a bad value fails with one line naming the variable', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /^Invalid configuration: PORT must be integer \(got "eighty"\)$/],
    [{ PORT: '70000' }, /^Invalid configuration: PORT must be <= 65535/],
    [{ GUARDRAILS_LEVEL: 'lax' }, /^Invalid configuration: GUARDRAILS_LEVEL must be one of strict, standard, off \(got "lax"\)$/],
    [{ LOG_LEVEL: 'verbose' }, /^Invalid configuration: LOG_LEVEL must be one of fatal, error/],
    [{ LLM_BASE_URL: 'openrouter.ai' }, /^Invalid configuration: LLM_BASE_URL must match pattern/],
    [{ MEMORY_PRESSURE_FRACTION: '1.5' }, /^Invalid configuration: MEMORY_PRESSURE_FRACTION must be <= 1/],
    [{ LLM_TIMEOUT_MS: '-5' }, /^Invalid configuration: LLM_TIMEOUT_MS must be >= 100/],
    [{ LLM_CONDENSE_TIMEOUT_MS: '1.5' }, /^Invalid configuration: LLM_CONDENSE_TIMEOUT_MS must be integer/],
    [{ LLM_CONDENSE_TIMEOUT_MS: '-1' }, /^Invalid configuration: LLM_CONDENSE_TIMEOUT_MS must be >= 0/]
  ]
  for (const [env, pattern] of cases) {
    const err = t.throws(() => loadConfig({}, env)) as unknown
    t.ok(err instanceof ConfigError, `${Object.keys(env)[0]} gives a ConfigError`)
    t.match((err as Error).message, pattern)
    t.notMatch((err as Error).message, /\n/, 'one line')
  }
})

t.test('a secret is never echoed in the error', async (t) => {
  const err = t.throws(() => loadConfig({}, { OPENROUTER_API_KEY: 'sk-secret', MAX_TOKENS: 'x' })) as Error
  t.notMatch(err.message, /sk-secret/)
})

t.test('reads only the environment it is given, not exported variables', async (t) => {
  const exported = { PORT: process.env.PORT, LLM_API_KEY: process.env.LLM_API_KEY, OPENROUTER_API_KEY: process.env.OPENROUTER_API_KEY }
  t.teardown(() => {
    for (const [key, value] of Object.entries(exported)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  })
  process.env.PORT = '4321'
  process.env.LLM_API_KEY = 'sk-exported'
  process.env.OPENROUTER_API_KEY = 'sk-exported-too'
  const config = loadConfig({}, {})
  t.equal(config.PORT, 8080)
  t.equal(config.LLM_API_KEY, '')
  t.equal(config.OPENROUTER_API_KEY, '')
  t.equal(loadConfig().PORT, 4321, 'the process environment is still the default source')
})

t.test('LLM_API_KEY is the key; OPENROUTER_API_KEY is read when it is not set', async (t) => {
  t.equal(loadConfig({}, { LLM_API_KEY: 'sk-new' }).LLM_API_KEY, 'sk-new')
  t.equal(loadConfig({}, { OPENROUTER_API_KEY: 'sk-old' }).LLM_API_KEY, 'sk-old')
  t.equal(loadConfig({}, { LLM_API_KEY: 'sk-new', OPENROUTER_API_KEY: 'sk-old' }).LLM_API_KEY, 'sk-new', 'the new name wins')
  t.equal(loadConfig({ OPENROUTER_API_KEY: 'sk-override' }, {}).LLM_API_KEY, 'sk-override', 'overrides use the alias too')
})

t.test('contradictory settings fail with one line', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [
      { MEMORY_WARNING_FRACTION: '0.9', MEMORY_PRESSURE_FRACTION: '0.8' },
      /^Invalid configuration: MEMORY_WARNING_FRACTION \(0\.9\) must not be above MEMORY_PRESSURE_FRACTION \(0\.8\)$/
    ],
    [{ METRICS_REQUIRE_KEY: 'true' }, /^Invalid configuration: METRICS_REQUIRE_KEY is true but API_KEYS is empty/],
    [{ METRICS_REQUIRE_KEY: 'true', API_KEYS: ' , ' }, /^Invalid configuration: METRICS_REQUIRE_KEY is true but API_KEYS is empty/]
  ]
  for (const [env, pattern] of cases) {
    const err = t.throws(() => loadConfig({}, env)) as unknown
    t.ok(err instanceof ConfigError)
    t.match((err as Error).message, pattern)
    t.notMatch((err as Error).message, /\n/, 'one line')
  }
  t.doesNotThrow(() => loadConfig({}, { METRICS_REQUIRE_KEY: 'true', API_KEYS: 'k1' }))
  t.doesNotThrow(() => loadConfig({}, { MEMORY_WARNING_FRACTION: '0.8', MEMORY_PRESSURE_FRACTION: '0.8' }))
})
