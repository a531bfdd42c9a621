/**
 * Fails when a line of code is longer than MAX_LINE characters (oxlint has no max-len rule). Checks the
 * files git tracks, less the folders .oxlintrc.json's ignorePatterns leave out, so one list says both.
 *
 *   npm run lint   (runs this after oxlint)
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from '../lib/paths.js'

const MAX_LINE = 140
const CODE = /\.(ts|js|cjs|mjs)$/

/** The folders oxlint ignores ("dir/**" patterns); the config is JSON with whole-line // comments. */
function ignoredFolders (oxlintrc: string): string[] {
  const json = oxlintrc.split('\n').filter((line) => !line.trim().startsWith('//')).join('\n')
  const patterns = (JSON.parse(json) as { ignorePatterns?: string[] }).ignorePatterns ?? []
  return patterns.filter((p) => p.endsWith('/**')).map((p) => p.slice(0, -2))
}

function longLines (file: string, text: string): string[] {
  return text.split('\n').flatMap((line, i) => (line.length > MAX_LINE ? [`${file}:${i + 1}: ${line.length} characters`] : []))
}

function main (): void {
  const ignored = ignoredFolders(readFileSync(join(repoRoot, '.oxlintrc.json'), 'utf8'))
  const files = execFileSync('git', ['ls-files'], { cwd: repoRoot, encoding: 'utf8' }).split('\n')
    .filter((file) => CODE.test(file) && !ignored.some((folder) => file.startsWith(folder)))
  const problems = files.flatMap((file) => longLines(file, readFileSync(join(repoRoot, file), 'utf8')))
  for (const problem of problems) process.stderr.write(`${problem} (at most ${MAX_LINE})\n`)
  if (problems.length > 0) process.exitCode = 1
}

main()
