import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { programArgs } from '../../helpers/program.js'
import { repoRoot as root } from '../../../lib/paths.js'
import {
  imageOfVersion,
  parseReleases,
  previousImage,
  ReleasesFormatError,
  sameImage,
  type RollbackDecision
} from '../../../tools/lib/rollback.js'

const fixture = (name: string): string => join(root, 'test', 'fixtures', name)
const load = (name: string) => parseReleases(readFileSync(fixture(name), 'utf8'))

function targetVersion (decision: RollbackDecision): number | string {
  return decision.ok ? decision.target.Version : decision.reason
}

t.test('the usual case: the release before the failing deploy', async (t) => {
  const releases = load('fly-releases.json')
  const decision = previousImage(releases)
  t.ok(decision.ok)
  if (!decision.ok) return
  t.equal(decision.current.Version, 14, 'the newest release is the one that failed')
  t.equal(decision.target.Version, 13)
  t.equal(decision.image, 'registry.fly.io/policy-rag:deployment-01KAMF2M8C7YH9Q4T6PZ0A3KX1')
  t.same(decision.skipped, [])
})

t.test('order of the input does not matter', async (t) => {
  const shuffled = load('fly-releases.json').reverse()
  t.equal(targetVersion(previousImage(shuffled)), 13)
})

t.test('a named current version and a failing image move the target further back', async (t) => {
  const releases = load('fly-releases.json')
  t.equal(targetVersion(previousImage(releases, { currentVersion: 13 })), 12, 'a secrets release carries a good image too')
  const failing = 'registry.fly.io/policy-rag:deployment-01KAMF2M8C7YH9Q4T6PZ0A3KX1'
  const decision = previousImage(releases, { currentVersion: 14, failingImage: failing })
  t.equal(targetVersion(decision), 12)
  t.same(decision.skipped, [{ version: 13, why: 'same image as the failing release' }])
  const beforeSecrets = previousImage(releases, { currentVersion: 12 })
  t.equal(targetVersion(beforeSecrets), 9, 'v11 has v12\'s image and v10 failed')
  t.same(beforeSecrets.skipped.map((s) => s.why), ['same image as the failing release', 'status failed'])
})

t.test('failed, interrupted and same-image releases are skipped', async (t) => {
  const decision = previousImage(load('fly-releases-after-failures.json'))
  t.equal(targetVersion(decision), 23)
  t.same(decision.skipped, [
    { version: 26, why: 'status failed' },
    { version: 25, why: 'status interrupted' },
    { version: 24, why: 'same image as the failing release' }
  ])
})

t.test('legacy statuses, in-progress releases and digests written two ways', async (t) => {
  const releases = load('fly-releases-legacy.json')
  const fromRunning = previousImage(releases)
  t.equal(targetVersion(fromRunning), 5, 'succeeded counts as done; the running v6 is the current one')
  const byDigest = previousImage(
    releases,
    { failingImage: 'registry.fly.io/policy-rag@sha256:4b1e0c9d8f7a6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d' }
  )
  t.equal(targetVersion(byDigest), 2, 'v5 and v4 are the failing digest, v3 is dead')
  t.same(byDigest.skipped.map((s) => s.version), [5, 4, 3])
  const fromV5 = previousImage(releases, { currentVersion: 5 })
  t.equal(targetVersion(fromV5), 2, 'v4 is v5\'s image by digest')
  const newer = previousImage(releases, { currentVersion: 7 })
  t.notOk(newer.ok)
  t.match(targetVersion(newer), /no release v7/)
})

t.test('no target: the first deploy, or nothing at all', async (t) => {
  const first = previousImage(load('fly-releases-first-deploy.json'))
  t.notOk(first.ok)
  t.match(targetVersion(first), /no release older than v1 completed with a different image/)
  t.match(targetVersion(previousImage([])), /no releases at all/)
})

t.test('the image of one chosen version, for a manual rollback', async (t) => {
  const releases = load('fly-releases.json')
  const v9 = imageOfVersion(releases, 9)
  t.ok(v9.ok)
  if (v9.ok) t.equal(v9.image, 'registry.fly.io/policy-rag:deployment-01KA3N5F9G2H7J1K4M8P0Q6RST')
  t.match(targetVersion(imageOfVersion(releases, 10)), /cannot be redeployed: status failed/)
  t.match(targetVersion(imageOfVersion(releases, 99)), /no release v99/)
})

t.test('sameImage compares digests across ref forms', async (t) => {
  t.ok(sameImage('r/a:tag', 'r/a:tag'))
  t.notOk(sameImage('r/a:one', 'r/a:two'))
  t.ok(sameImage('r/a:tag@sha256:abc', 'r/a@sha256:abc'))
  t.notOk(sameImage('r/a@sha256:abc', 'r/a@sha256:abd'))
})

t.test('input that is not releases JSON fails with one clear line', async (t) => {
  t.throws(() => parseReleases('Error: no access token available'), ReleasesFormatError)
  t.throws(() => parseReleases('{"Version": 1}'), /not an array/)
  t.throws(() => parseReleases('[{"Status": "complete"}]'), /release #0 has no integer Version/)
  t.throws(() => parseReleases('[{"Version": 3}]'), /release v3 has no Status/)
  t.same(parseReleases('[]'), [])
})

t.test('the CLI prints only the image on stdout, and exits non-zero without a target', async (t) => {
  const run = (args: string[], input?: string) => spawnSync(
    process.execPath,
    [...programArgs('tools/rollback-target'), ...args],
    { cwd: root, encoding: 'utf8', input }
  )

  const ok = run([fixture('fly-releases-after-failures.json')])
  t.equal(ok.status, 0, ok.status === 0 ? 'exit 0' : ok.stderr)
  t.equal(ok.stdout, 'registry.fly.io/policy-rag:deployment-01KB2H9K1M3P5R7T9V1X3Z5B7D\n')
  t.match(ok.stderr, /skipped v26: status failed/)
  t.match(ok.stderr, /target: {2}v23 \(complete/)

  const fromStdin = run(['-', '--version', 'v9'], readFileSync(fixture('fly-releases.json'), 'utf8'))
  t.equal(fromStdin.status, 0, fromStdin.status === 0 ? 'exit 0' : fromStdin.stderr)
  t.equal(fromStdin.stdout.trim(), 'registry.fly.io/policy-rag:deployment-01KA3N5F9G2H7J1K4M8P0Q6RST')

  const none = run([fixture('fly-releases-first-deploy.json')])
  t.equal(none.status, 1)
  t.equal(none.stdout, '')
  t.match(none.stderr, /no rollback target: no release older than v1/)

  const garbage = run(['-'], 'Error: not authorized')
  t.equal(garbage.status, 2)
  t.match(garbage.stderr, /rollback-target: releases are not JSON/)
})
