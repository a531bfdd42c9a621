/**
 * Prints the one line CI reads, "N passed, N failed", from tap's saved results
 * (.tap/test-results/**.tap): each top-level test of each file counts once (skips and todos apart);
 * a file that failed without reporting any test counts as one failure.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = process.argv[2] ?? '.tap/test-results'

function tapFiles (folder: string): string[] {
  let entries
  try {
    entries = readdirSync(folder, { withFileTypes: true })
  } catch {
    return []
  }
  return entries.flatMap((e) => e.isDirectory() ? tapFiles(join(folder, e.name)) : e.name.endsWith('.tap') ? [join(folder, e.name)] : [])
}

let passed = 0
let failed = 0
let skipped = 0
for (const file of tapFiles(dir)) {
  const text = readFileSync(file, 'utf8')
  const lines = text.split('\n').filter((l) => /^(not )?ok \d+/.test(l))
  // No plan line at the top level: the file died before it finished.
  if (lines.length === 0 || !/^1\.\.\d+/m.test(text)) failed++
  for (const line of lines) {
    if (/#\s*(SKIP|TODO)\b/i.test(line)) skipped++
    else if (line.startsWith('not ok')) failed++
    else passed++
  }
}
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`)
