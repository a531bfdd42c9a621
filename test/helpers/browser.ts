/**
 * Finds a Chromium or Chrome for the browser tests the way people have one installed, and decides
 * what a test file does without one: fail under CI (CI must run the browser tests), else report
 * them as not run with the command that installs a browser.
 */
import { accessSync, constants, readdirSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'
import type { Test } from 'tap'

export interface BrowserLookup {
  env?: NodeJS.ProcessEnv
  platform?: NodeJS.Platform
  /** Prefix of the fixed install locations ('/' normally; a test points it at an empty folder). */
  root?: string
  home?: string
}

export const INSTALL_COMMAND = 'npx playwright-core install chromium'

const PATH_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome']

const SYSTEM_PATHS: Partial<Record<NodeJS.Platform, string[]>> = {
  linux: [
    'usr/bin/chromium', 'usr/bin/chromium-browser', 'snap/bin/chromium', 'usr/lib/chromium/chromium',
    'usr/bin/google-chrome', 'usr/bin/google-chrome-stable', 'opt/google/chrome/chrome'
  ],
  darwin: [
    'Applications/Chromium.app/Contents/MacOS/Chromium',
    'Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    'Applications/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing'
  ]
}

/** Where `playwright install` puts browsers: <cache>/ms-playwright/chromium-<revision>/<one of these>. */
const PLAYWRIGHT_EXECUTABLES = [
  'chrome-linux64/chrome', 'chrome-linux-arm64/chrome', 'chrome-linux/chrome',
  'chrome-headless-shell-linux64/chrome-headless-shell', 'chrome-headless-shell-linux-arm64/chrome-headless-shell',
  'chrome-mac-arm64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing',
  'chrome-mac-x64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing',
  'chrome-mac/Chromium.app/Contents/MacOS/Chromium',
  'chrome-headless-shell-mac-arm64/chrome-headless-shell', 'chrome-headless-shell-mac-x64/chrome-headless-shell'
]

function isExecutable (path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

export function playwrightCache (lookup: BrowserLookup = {}): string {
  const env = lookup.env ?? process.env
  const home = lookup.home ?? homedir()
  if (env.PLAYWRIGHT_BROWSERS_PATH) return env.PLAYWRIGHT_BROWSERS_PATH
  if ((lookup.platform ?? process.platform) === 'darwin') return join(home, 'Library', 'Caches', 'ms-playwright')
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'ms-playwright')
}

function playwrightCandidates (cache: string): string[] {
  let folders: string[]
  try {
    folders = readdirSync(cache)
  } catch {
    return []
  }
  const revision = (name: string): number => Number(/-(\d+)$/.exec(name)?.[1] ?? 0)
  return folders
    .filter((name) => /^chromium(_headless_shell)?-\d+$/.test(name))
    // Full Chromium before the headless shell, then the newest revision.
    .sort((a, b) => Number(a.includes('headless')) - Number(b.includes('headless')) || revision(b) - revision(a))
    .flatMap((name) => PLAYWRIGHT_EXECUTABLES.map((file) => join(cache, name, file)))
}

/** Every place looked at, in order: the environment's choice, PATH, the usual locations, playwright's cache. */
export function browserCandidates (lookup: BrowserLookup = {}): string[] {
  const env = lookup.env ?? process.env
  const platform = lookup.platform ?? process.platform
  const root = lookup.root ?? '/'
  const home = lookup.home ?? homedir()
  const chosen = [env.CHROME_PATH, env.CHROMIUM_PATH].filter((p): p is string => Boolean(p))
  const onPath = (env.PATH ?? '').split(delimiter).filter(Boolean).flatMap((dir) => PATH_NAMES.map((name) => join(dir, name)))
  const system = (SYSTEM_PATHS[platform] ?? []).flatMap((p) => platform === 'darwin' ? [join(root, p), join(home, p)] : [join(root, p)])
  return [...chosen, ...onPath, ...system, ...playwrightCandidates(playwrightCache(lookup))]
}

export function findBrowser (lookup: BrowserLookup = {}): string | undefined {
  return browserCandidates(lookup).find(isExecutable)
}

export function runningInCi (env: NodeJS.ProcessEnv = process.env): boolean {
  return ['true', '1'].includes((env.CI ?? '').toLowerCase())
}

export type BrowserVerdict = { run: string } | { skip: string } | { fail: string }

/** What a browser test file does here: run with the browser found, or say why not (a failure under CI). */
export function browserVerdict (lookup: BrowserLookup = {}): BrowserVerdict {
  const found = findBrowser(lookup)
  if (found) return { run: found }
  const env = lookup.env ?? process.env
  const set = [
    env.CHROME_PATH && `CHROME_PATH=${env.CHROME_PATH}`,
    env.CHROMIUM_PATH && `CHROMIUM_PATH=${env.CHROMIUM_PATH}`
  ].filter(Boolean)
  const message = 'browser tests not run: no Chromium or Chrome found ' +
    `(looked at ${set.length ? `${set.join(', ')} (not executable), ` : 'CHROME_PATH, CHROMIUM_PATH, '}PATH, ` +
    `the usual install locations and playwright's cache ${playwrightCache(lookup)}). ` +
    `Install one with \`${INSTALL_COMMAND}\` (or your system's package, e.g. \`apt-get install chromium\`), ` +
    'or point CHROME_PATH at one.'
  return runningInCi(env) ? { fail: `${message} CI=true: the browser tests must run in CI.` } : { skip: message }
}

/** Runs `tests` with the browser found, or records why they did not run: a skip, or a failure under CI. */
export async function withBrowser (t: Test, lookup: BrowserLookup, tests: (executablePath: string) => Promise<void>): Promise<void> {
  const verdict = browserVerdict(lookup)
  if ('run' in verdict) return tests(verdict.run)
  if ('fail' in verdict) t.fail(verdict.fail)
  else t.test('the chat page in a real browser', { skip: verdict.skip }, () => {})
}
