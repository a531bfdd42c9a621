import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { CARD_FILE, MODEL_FILE, sha256File, TOKENIZER_FILE, type ModelCard } from './model-card.js'

/**
 * True when `dir` already holds what a conversion would write: a card naming the same source
 * package version and converter version, and files whose hashes match the card.
 */
export function isUpToDate (dir: string, expected: { sourceVersion: string, converterVersion: string }): boolean {
  const cardPath = join(dir, CARD_FILE)
  if (!existsSync(cardPath)) return false
  let card: ModelCard
  try {
    card = JSON.parse(readFileSync(cardPath, 'utf8')) as ModelCard
  } catch {
    return false
  }
  if (card.source?.version !== expected.sourceVersion || card.converter_version !== expected.converterVersion) return false
  return [[MODEL_FILE, card.model_sha256], [TOKENIZER_FILE, card.tokenizer_sha256]].every(([file, hash]) => {
    const path = join(dir, file as string)
    return existsSync(path) && sha256File(path) === hash
  })
}

/**
 * Replaces `dir` with a folder holding exactly `files`: written into a temporary sibling, then
 * renamed into place, so readers see the old folder or the new one, never a half-written one.
 */
export function writeModelDir (dir: string, files: Record<string, Uint8Array | string>): void {
  const parent = dirname(dir)
  mkdirSync(parent, { recursive: true })
  const staging = mkdtempSync(join(parent, `.${basename(dir)}.tmp-`))
  chmodSync(staging, 0o755)
  try {
    for (const [name, data] of Object.entries(files)) writeFileSync(join(staging, name), data)
    if (existsSync(dir)) {
      const retired = `${staging}.old`
      renameSync(dir, retired)
      renameSync(staging, dir)
      rmSync(retired, { recursive: true, force: true })
    } else {
      renameSync(staging, dir)
    }
  } catch (err) {
    rmSync(staging, { recursive: true, force: true })
    throw err
  }
}
