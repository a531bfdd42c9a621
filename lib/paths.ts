import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root, found the same way from source (tsx) and from compiled dist/. */
export const repoRoot: string = findRoot(dirname(fileURLToPath(import.meta.url)))

function findRoot (start: string): string {
  let dir = start
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`no package.json above ${start}`)
    dir = parent
  }
  return dir
}

export const defaultIndexPath = join(repoRoot, 'index-data', 'policies.sqlite')
export const defaultModelDir = join(repoRoot, 'models', 'use-lite')
/** The guardrails' intent classifier, trained on the committed corpus (tools/train-guardrails.ts). */
export const defaultIntentModelPath = join(repoRoot, 'index-data', 'intent-model.json')

/** A configured path (relative ones resolve against the working directory), or the fallback when empty. */
export function configuredPath (value: string | undefined, fallback: string): string {
  return value ? resolve(value) : fallback
}

/** V8's compile cache for the server (module.enableCompileCache): inside the app's folder, warmed by the Docker build. */
export const compileCacheDir = join(repoRoot, '.cache', 'node-compile')
