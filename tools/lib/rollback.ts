/**
 * Which image to roll back to, decided from `flyctl releases --json`. Pure: the deploy workflow
 * calls it through tools/rollback-target.ts, and tests feed it recorded output.
 */

/** One entry of `flyctl releases --json` (fly-go's api.Release, rendered with Go's field names). */
export interface FlyRelease {
  ID: string
  Version: number
  Stable: boolean
  InProgress: boolean
  Reason: string
  Description: string
  Status: string
  DeploymentStrategy: string
  User: { ID?: string, Name?: string, Email?: string }
  CreatedAt: string
  ImageRef: string
}

export type RollbackDecision =
  | { ok: true, image: string, target: FlyRelease, current: FlyRelease, skipped: SkippedRelease[] }
  | { ok: false, reason: string, current?: FlyRelease, skipped: SkippedRelease[] }

export interface SkippedRelease { version: number, why: string }

export interface RollbackOptions {
  /** The release that failed; by default the newest one (the deploy just made). */
  currentVersion?: number
  /** The image that failed its smoke check: never a target, whatever release carries it. */
  failingImage?: string
}

export class ReleasesFormatError extends Error {
  override name = 'ReleasesFormatError'
}

/** Statuses of a release that finished deploying: machines apps say complete, older Nomad apps succeeded. */
const GOOD_STATUSES = new Set(['complete', 'succeeded', 'successful'])

/** Reads `flyctl releases --json`, checking the fields the decision uses; throws one clear line otherwise. */
export function parseReleases (text: string): FlyRelease[] {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new ReleasesFormatError(`releases are not JSON: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (!Array.isArray(data)) throw new ReleasesFormatError('releases JSON is not an array (expected the output of `flyctl releases --json`)')
  return data.map((entry: unknown, i) => toRelease(entry, i))
}

function toRelease (entry: unknown, index: number): FlyRelease {
  if (entry === null || typeof entry !== 'object') throw new ReleasesFormatError(`release #${index} is not an object`)
  const r = entry as Record<string, unknown>
  if (typeof r.Version !== 'number' || !Number.isInteger(r.Version)) {
    throw new ReleasesFormatError(`release #${index} has no integer Version`)
  }
  if (typeof r.Status !== 'string') throw new ReleasesFormatError(`release v${r.Version} has no Status`)
  const user = r.User !== null && typeof r.User === 'object' ? r.User as FlyRelease['User'] : {}
  return {
    ID: str(r.ID),
    Version: r.Version,
    Stable: r.Stable === true,
    InProgress: r.InProgress === true,
    Reason: str(r.Reason),
    Description: str(r.Description),
    Status: r.Status,
    DeploymentStrategy: str(r.DeploymentStrategy),
    User: user,
    CreatedAt: str(r.CreatedAt),
    ImageRef: str(r.ImageRef)
  }
}

function str (value: unknown): string {
  return typeof value === 'string' ? value : ''
}

/**
 * The previous good image: the newest release older than the current one whose deploy completed,
 * which is not in progress, has an image, and whose image is neither the current nor the failing one.
 */
export function previousImage (releases: readonly FlyRelease[], options: RollbackOptions = {}): RollbackDecision {
  const newestFirst = [...releases].sort((a, b) => b.Version - a.Version)
  const current = options.currentVersion === undefined
    ? newestFirst[0]
    : newestFirst.find((r) => r.Version === options.currentVersion)
  if (!current) {
    const reason = options.currentVersion === undefined ? 'no releases at all' : `no release v${options.currentVersion} in the list`
    return { ok: false, reason, skipped: [] }
  }
  const bad = [current.ImageRef, options.failingImage ?? ''].filter(Boolean)
  const skipped: SkippedRelease[] = []
  for (const release of newestFirst) {
    if (release.Version >= current.Version) continue
    const why = unsuitable(release, bad)
    if (!why) return { ok: true, image: release.ImageRef, target: release, current, skipped }
    skipped.push({ version: release.Version, why })
  }
  return { ok: false, reason: `no release older than v${current.Version} completed with a different image`, current, skipped }
}

function unsuitable (release: FlyRelease, badImages: readonly string[]): string | undefined {
  if (release.InProgress) return 'still in progress'
  if (!GOOD_STATUSES.has(release.Status.toLowerCase())) return `status ${release.Status}`
  if (release.ImageRef === '') return 'no image'
  if (badImages.some((image) => sameImage(image, release.ImageRef))) return 'same image as the failing release'
  return undefined
}

/** The image of one given release, for a hand-picked rollback; it must have completed. */
export function imageOfVersion (releases: readonly FlyRelease[], version: number): RollbackDecision {
  const release = releases.find((r) => r.Version === version)
  if (!release) return { ok: false, reason: `no release v${version} in the list`, skipped: [] }
  const why = unsuitable(release, [])
  if (why) return { ok: false, reason: `release v${version} cannot be redeployed: ${why}`, skipped: [] }
  return { ok: true, image: release.ImageRef, target: release, current: release, skipped: [] }
}

/** Equal refs, or the same content digest written two ways (`repo:tag@sha256:x` and `repo@sha256:x`). */
export function sameImage (a: string, b: string): boolean {
  if (a === b) return true
  const digestA = digestOf(a)
  return digestA !== undefined && digestA === digestOf(b)
}

function digestOf (ref: string): string | undefined {
  const at = ref.indexOf('@sha256:')
  return at === -1 ? undefined : ref.slice(at + 1)
}

/** A release in one line, for logs and the job summary. */
export function describeRelease (release: FlyRelease): string {
  const who = release.User.Email || release.User.Name || 'unknown user'
  const description = release.Description || release.Reason || 'no description'
  return `v${release.Version} (${release.Status}, ${description}, ${who}, ${release.CreatedAt}) ${release.ImageRef}`
}
