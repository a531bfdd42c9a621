import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { parse } from 'yaml'
import { repoRoot as root } from '../lib/paths.js'

const workflowsDir = join(root, '.github', 'workflows')
const validator = join(root, 'node_modules', '@action-validator', 'cli', 'cli.mjs')

function validate (file: string): { status: number | null, output: string } {
  const result = spawnSync(process.execPath, [validator, file], { encoding: 'utf8' })
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

interface Step {
  name?: string
  id?: string
  uses?: string
  run?: string
  if?: string
  env?: Record<string, string>
  with?: Record<string, unknown>
}
interface Job { if?: string, env?: Record<string, string>, permissions?: Record<string, string>, container?: string, steps: Step[] }
interface Workflow { name: string, on: Record<string, unknown>, jobs: Record<string, Job> }

const workflowFiles = readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f))

t.test('every workflow file passes action-validator', async (t) => {
  for (const expected of ['ci.yml', 'deploy.yml', 'maintenance.yml']) t.ok(
    workflowFiles.includes(expected),
    `${expected} among ${workflowFiles.join(', ')}`
  )
  for (const file of workflowFiles) {
    const { status, output } = validate(join(workflowsDir, file))
    t.equal(status, 0, `${file}${status === 0 ? '' : `: ${output}`}`)
  }
})

t.test('the validator does reject a broken workflow', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'workflow-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const broken = join(dir, 'broken.yml')
  writeFileSync(broken, 'name: broken\non:\n  push:\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    step:\n      - run: flyctl deploy\n')
  const { status, output } = validate(broken)
  t.equal(status, 1)
  t.match(output, /Additional property 'step' is not allowed/)
})

const ci = parse(readFileSync(join(workflowsDir, 'ci.yml'), 'utf8')) as Workflow
const deploy = parse(readFileSync(join(workflowsDir, 'deploy.yml'), 'utf8')) as Workflow
const steps = deploy.jobs.deploy?.steps ?? []
const step = (id: string): Step => {
  const found = steps.find((s) => s.id === id)
  if (!found) throw new Error(`no step ${id} in deploy.yml`)
  return found
}

t.test('deploy runs after CI passes on main, or by hand with an optional rollback target', async (t) => {
  const trigger = deploy.on.workflow_run as { workflows: string[], types: string[], branches: string[] }
  t.same(trigger.workflows, [ci.name], 'names the CI workflow by its name')
  t.same(trigger.types, ['completed'])
  t.same(trigger.branches, ['main'])
  const dispatch = deploy.on.workflow_dispatch as { inputs: Record<string, { required: boolean }> }
  t.equal(dispatch.inputs.rollback_to?.required, false)
  const condition = deploy.jobs.deploy?.if ?? ''
  t.match(condition, /workflow_run\.conclusion == 'success'/)
  t.match(condition, /github\.event_name == 'workflow_dispatch'/)
})

t.test('deploy uses flyctl with the token secret, bluegreen, the smoke check and a rollback', async (t) => {
  const flyctl = steps.find((s) => s.uses?.startsWith('superfly/flyctl-actions/setup-flyctl@'))
  t.ok(flyctl)
  t.notMatch(flyctl?.uses ?? '', /@(master|main)$/, 'the action is pinned to a release, not a branch')
  t.match(String(flyctl?.with?.version ?? ''), /^\d+\.\d+\.\d+$/, 'flyctl itself is pinned to a version')
  t.equal(deploy.jobs.deploy?.env?.FLY_API_TOKEN, '${{ secrets.FLY_API_TOKEN }}')
  t.match(step('deploy').run ?? '', /flyctl deploy .*"\$\{args\[@\]\}"/s)
  t.match(step('deploy').run ?? '', /--strategy bluegreen/)
  t.match(step('smoke').run ?? '', /tools\/smoke\.ts "\$URL"/)
  t.equal(step('rollback').if, "failure() && steps.smoke.outcome == 'failure'")
  t.match(
    readFileSync(join(root, 'fly.toml'), 'utf8'),
    /strategy = "bluegreen"[\s\S]*path = "\/health\/ready"/,
    'fly.toml keeps bluegreen, checked on the readiness probe'
  )
  for (const tool of ['tools/smoke.ts', 'tools/rollback-target.ts']) t.ok(existsSync(join(root, tool)), `${tool} exists`)
})


/** Runs one step's script with bash, a fake flyctl on PATH that serves a recorded release list and logs deploys. */
function runStep (t: Test, id: string, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-step-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // A checkout of its own, so the files a step writes stay out of the working tree.
  const checkout = join(dir, 'checkout')
  mkdirSync(checkout)
  for (const entry of ['package.json', 'node_modules', 'lib', 'tools']) symlinkSync(join(root, entry), join(checkout, entry))
  const flyctl = join(dir, 'flyctl')
  writeFileSync(flyctl, [
    '#!/usr/bin/env bash',
    'echo "$*" >> "$FLYCTL_LOG"',
    'if [ "$1 $2" = "releases --json" ]; then cat "$RELEASES_FIXTURE"; fi',
    'if [ "$1" = "deploy" ] && [ -n "$FLYCTL_DEPLOY_FAILS" ]; then exit 1; fi',
    'exit 0'
  ].join('\n'))
  chmodSync(flyctl, 0o755)
  const files = { FLYCTL_LOG: join(dir, 'flyctl.log'), GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary.md') }
  for (const file of Object.values(files)) writeFileSync(file, '')
  const result = spawnSync('bash', ['-c', `set -eo pipefail\n${step(id).run ?? ''}`], {
    cwd: checkout,
    encoding: 'utf8',
    env: { ...process.env, ...files, ...env, PATH: `${dir}:${process.env.PATH ?? ''}` }
  })
  const read = (file: string): string => readFileSync(file, 'utf8')
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    flyctl: read(files.FLYCTL_LOG),
    output: read(files.GITHUB_OUTPUT),
    summary: read(files.GITHUB_STEP_SUMMARY)
  }
}

t.test('the rollback step redeploys the image the rollback logic picks', async (t) => {
  const run = runStep(t, 'rollback', { RELEASES_FIXTURE: join(root, 'test', 'fixtures', 'fly-releases-after-failures.json') })
  t.equal(run.status, 0, run.status === 0 ? 'exit 0' : run.stderr + run.stdout)
  t.match(
    run.flyctl,
    new RegExp(String.raw`^releases --json\ndeploy --remote-only --strategy bluegreen --wait-timeout 5m0s ` +
      String.raw`--image registry\.fly\.io\/policy-rag:deployment-01KB2H9K1M3P5R7T9V1X3Z5B7D\n$`)
  )
  t.match(run.output, /^image=registry\.fly\.io\/policy-rag:deployment-01KB2H9K1M3P5R7T9V1X3Z5B7D$/m)
  t.match(run.stdout, /target: {2}v23/)
})

t.test('with no earlier release the rollback step fails without deploying', async (t) => {
  const run = runStep(t, 'rollback', { RELEASES_FIXTURE: join(root, 'test', 'fixtures', 'fly-releases-first-deploy.json') })
  t.equal(run.status, 1)
  t.equal(run.flyctl, 'releases --json\n')
  t.match(run.stdout, /no rollback target/)
  t.match(run.stdout, /::error::smoke check failed and there is no earlier release/)
})

t.test('a manual run resolves a release version to its image', async (t) => {
  const fixture = join(root, 'test', 'fixtures', 'fly-releases.json')
  const byVersion = runStep(t, 'choose', { RELEASES_FIXTURE: fixture, ROLLBACK_TO: 'v9' })
  t.equal(byVersion.status, 0, byVersion.status === 0 ? 'exit 0' : byVersion.stderr)
  t.equal(byVersion.output, 'image=registry.fly.io/policy-rag:deployment-01KA3N5F9G2H7J1K4M8P0Q6RST\n')
  const failedVersion = runStep(t, 'choose', { RELEASES_FIXTURE: fixture, ROLLBACK_TO: '10' })
  t.not(failedVersion.status, 0, 'a failed release is not redeployed')
  const byImage = runStep(t, 'choose', { RELEASES_FIXTURE: fixture, ROLLBACK_TO: 'registry.fly.io/policy-rag:deployment-X' })
  t.equal(byImage.output, 'image=registry.fly.io/policy-rag:deployment-X\n')
  t.equal(byImage.flyctl, '', 'an image needs no lookup')
  const normal = runStep(t, 'choose', { RELEASES_FIXTURE: fixture, ROLLBACK_TO: '' })
  t.equal(normal.output, 'image=\n')
})

t.test('the summary carries the smoke report and the rollback decision', async (t) => {
  const summaryStep = steps.find((s) => s.name === 'Job summary')
  t.equal(summaryStep?.if, 'always()')
  const dir = mkdtempSync(join(tmpdir(), 'summary-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'smoke-report.txt'), 'FAIL  health: HTTP 503\nsmoke FAILED: 5 passed, 1 failed\n')
  writeFileSync(join(dir, 'rollback-reason.txt'), 'target:  v23 (complete, ...)\n')
  const summaryFile = join(dir, 'summary.md')
  writeFileSync(summaryFile, '')
  const result = spawnSync('bash', ['-c', `set -eo pipefail\n${summaryStep?.run ?? ''}`], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      GITHUB_STEP_SUMMARY: summaryFile,
      URL: 'https://policy-rag.fly.dev',
      RELEASE: 'v28 registry.fly.io/policy-rag:x',
      DEPLOY: 'success',
      SMOKE: 'failure',
      ROLLBACK: 'success',
      ROLLBACK_IMAGE: 'registry.fly.io/policy-rag:y'
    }
  })
  t.equal(result.status, 0, result.stderr)
  const summary = readFileSync(summaryFile, 'utf8')
  t.match(summary, /## Deploy to https:\/\/policy-rag\.fly\.dev/)
  t.match(summary, /\| smoke check \| failure \|/)
  t.match(summary, /\| rollback to registry\.fly\.io\/policy-rag:y \| success \|/)
  t.match(summary, /### Smoke report\n\n```\nFAIL {2}health: HTTP 503\nsmoke FAILED/)
  t.match(summary, /### Rollback decision/)
  t.notMatch(summary, /after the rollback/, 'no section for a file that does not exist')
})

t.test('every action is pinned to a version the updater can bump, in every workflow', async (t) => {
  for (const file of workflowFiles) {
    const workflow = parse(readFileSync(join(workflowsDir, file), 'utf8')) as Workflow
    for (const [name, job] of Object.entries(workflow.jobs)) {
      for (const s of job.steps.filter((s) => s.uses)) {
        t.match(s.uses, /^[\w.-]+\/[\w./-]+@(v?\d+(\.\d+){0,2}|[0-9a-f]{40})$/, `${file} ${name}: ${s.uses}`)
      }
    }
  }
})

const maintenance = parse(readFileSync(join(workflowsDir, 'maintenance.yml'), 'utf8')) as Workflow
const maintenanceJob = (name: string): Job => {
  const job = maintenance.jobs[name]
  if (!job) throw new Error(`no job ${name} in maintenance.yml`)
  return job
}
const runs = (name: string): string => maintenanceJob(name).steps.map((s) => s.run ?? '').join('\n')

t.test('maintenance runs each check on its own schedule, or any of them by hand', async (t) => {
  const crons = (maintenance.on.schedule as Array<{ cron: string }>).map((s) => s.cron)
  const expected: Record<string, string> = {
    daily: '17 5 * * *',
    weekly: '37 5 * * 1',
    monthly: '47 5 2 * *',
    quarterly: '7 3 3 1,4,7,10 *'
  }
  t.same(crons, Object.values(expected))
  const dispatch = maintenance.on.workflow_dispatch as { inputs: { check: { options: string[], default: string } } }
  t.same(dispatch.inputs.check.options, Object.keys(expected))
  t.equal(dispatch.inputs.check.default, 'daily')
  t.same(Object.keys(maintenance.jobs), Object.keys(expected), 'one job per check')
  for (const [name, cron] of Object.entries(expected)) {
    // A job runs on its own cron only: one that names a cron the schedule lacks would never run.
    t.equal(maintenanceJob(name).if, `github.event.schedule == '${cron}' || inputs.check == '${name}'`, name)
  }
  const [minute, hour, day, month, weekday] = expected.quarterly?.split(' ') ?? []
  t.same([minute, hour, day, month, weekday], ['7', '3', '3', '1,4,7,10', '*'], 'quarterly: once in each quarter')
})

t.test('daily: the smoke check and the probe of production, their reports in the summary and kept as an artifact', async (t) => {
  const daily = maintenanceJob('daily')
  t.match(runs('daily'), /tools\/smoke\.ts "\$URL"/)
  const probe = daily.steps.find((s) => s.id === 'probe')
  t.match(probe?.run, /tools\/probe\.ts "\$URL" --markdown probe-report\.md --json probe-report\.json/)
  t.equal(probe?.if, 'success() || failure()', 'the probe runs even when the smoke check failed')
  t.equal(daily.env?.SMOKE_API_KEY, '${{ secrets.SMOKE_API_KEY }}')
  const upload = daily.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))
  t.equal(upload?.if, 'always()')
  t.match(String(upload?.with?.name), /^probe-report-/)
  t.match(String(upload?.with?.path), /probe-report\.json/)

  const summaryStep = daily.steps.find((s) => s.name === 'Job summary')
  const dir = mkdtempSync(join(tmpdir(), 'maintenance-summary-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'smoke-report.txt'), 'PASS  health: healthy\nsmoke passed: 8 passed, 0 failed\n')
  writeFileSync(
    join(dir, 'probe-report.md'),
    '## Performance probe of https://policy-rag.fly.dev\n\n| search_p95_ms | 1200 | 1000 | **over** |\n'
  )
  const summaryFile = join(dir, 'summary.md')
  writeFileSync(summaryFile, '')
  const result = spawnSync('bash', ['-c', `set -eo pipefail\n${summaryStep?.run ?? ''}`], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GITHUB_STEP_SUMMARY: summaryFile, URL: 'https://policy-rag.fly.dev', SMOKE: 'success', PROBE: 'failure' }
  })
  t.equal(result.status, 0, result.stderr)
  const summary = readFileSync(summaryFile, 'utf8')
  t.match(summary, /^## Daily check of https:\/\/policy-rag\.fly\.dev/)
  t.match(summary, /\| performance probe .* \| failure \|/)
  t.match(summary, /### Smoke report\n\n```\nPASS {2}health: healthy/)
  t.match(summary, /## Performance probe of https:\/\/policy-rag\.fly\.dev\n\n\| search_p95_ms \| 1200 \| 1000 \| \*\*over\*\* \|/)
})

t.test('weekly: the memory trend from the daily artifacts; monthly: the audits; quarterly: the full bench beside the baseline', async (
  t
) => {
  t.equal(maintenanceJob('weekly').permissions?.actions, 'read', 'may list runs and download their artifacts')
  t.match(runs('weekly'), /gh run download "\$id" --pattern 'probe-report-\*'/)
  t.match(runs('weekly'), /tools\/memory-trend\.ts probes/)
  t.match(runs('monthly'), /npm audit --omit=dev --audit-level=high/)
  t.match(runs('monthly'), /npm audit signatures/)
  t.equal(maintenanceJob('quarterly').container, ci.jobs.bench?.container, 'the same image as the CI bench gate')
  t.match(runs('quarterly'), /npm run bench \| tee bench\.txt/)
  t.match(runs('quarterly'), /npm run bench:ci \| tee bench-ci\.txt/)
  t.match(runs('quarterly'), /GITHUB_STEP_SUMMARY/)
  for (const tool of [
    'tools/probe.ts', 'tools/memory-trend.ts', 'bench/probe-thresholds.json'
  ]) t.ok(existsSync(join(root, tool)), `${tool} exists`)
})

t.test('dependabot updates npm and the workflows\' actions, related packages grouped', async (t) => {
  interface Update {
    'package-ecosystem': string
    directory: string
    schedule: { interval: string }
    groups?: Record<string, { patterns: string[] }>
  }
  const config = parse(readFileSync(join(root, '.github', 'dependabot.yml'), 'utf8')) as { version: number, updates: Update[] }
  t.equal(config.version, 2)
  t.same(config.updates.map((u) => u['package-ecosystem']).sort(), ['github-actions', 'npm'])
  for (const update of config.updates) {
    t.equal(update.directory, '/')
    t.ok(
      ['daily', 'weekly', 'monthly'].includes(update.schedule.interval),
      `${update['package-ecosystem']} every ${update.schedule.interval}`
    )
  }
  const npm = config.updates.find((u) => u['package-ecosystem'] === 'npm')
  const patterns = Object.values(npm?.groups ?? {}).map((g) => g.patterns)
  for (const family of ['@fastify/*', '@tapjs/*', '@types/*']) t.equal(
    patterns.filter((p) => p.includes(family)).length,
    1,
    `${family} in one group`
  )
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
  const tensorflow = Object.keys(pkg.devDependencies).filter((name) => name.startsWith('@tensorflow/'))
  t.ok(tensorflow.length > 1 && patterns.some((p) => p.includes('@tensorflow/*')), `${tensorflow.join(', ')} move together`)
})
