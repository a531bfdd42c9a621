/**
 * Prints the image to roll back to, from `flyctl releases --json` (a file, or stdin with `-`):
 *   tsx tools/rollback-target.ts releases.json [--current-version N] [--failing-image REF]
 *   tsx tools/rollback-target.ts releases.json --version N     (the image of one release, for a manual rollback)
 * stdout: the image ref only. stderr: why. Exit 1 when there is no target, 2 on bad input.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import {
  describeRelease,
  imageOfVersion,
  parseReleases,
  previousImage,
  ReleasesFormatError,
  type RollbackDecision
} from './lib/rollback.js'

function main (): number {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      'current-version': { type: 'string' },
      'failing-image': { type: 'string' },
      version: { type: 'string' }
    }
  })
  const source = positionals[0]
  if (!source) {
    console.error('usage: rollback-target <releases.json|-> [--current-version N] [--failing-image REF] | --version N')
    return 2
  }
  const releases = parseReleases(readFileSync(source === '-' ? 0 : source, 'utf8'))
  const decision = values.version !== undefined
    ? imageOfVersion(releases, versionNumber(values.version))
    : previousImage(releases, {
      ...(values['current-version'] !== undefined ? { currentVersion: versionNumber(values['current-version']) } : {}),
      ...(values['failing-image'] ? { failingImage: values['failing-image'] } : {})
    })
  return report(decision)
}

function report (decision: RollbackDecision): number {
  for (const s of decision.skipped) console.error(`skipped v${s.version}: ${s.why}`)
  if (!decision.ok) {
    console.error(`no rollback target: ${decision.reason}${decision.current ? ` (current ${describeRelease(decision.current)})` : ''}`)
    return 1
  }
  if (decision.current !== decision.target) console.error(`current: ${describeRelease(decision.current)}`)
  console.error(`target:  ${describeRelease(decision.target)}`)
  console.log(decision.image)
  return 0
}

/** Accepts `41` and `v41`, as `flyctl releases` shows them. */
function versionNumber (raw: string): number {
  const value = Number(raw.replace(/^v/i, ''))
  if (!Number.isInteger(value) || value < 1) throw new ReleasesFormatError(`not a release version: ${raw}`)
  return value
}

try {
  process.exitCode = main()
} catch (err) {
  if (!(err instanceof ReleasesFormatError) && !(err instanceof TypeError) && !isFsError(err)) throw err
  console.error(`rollback-target: ${err instanceof Error ? err.message : String(err)}`)
  process.exitCode = 2
}

function isFsError (err: unknown): boolean {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('E')
}
