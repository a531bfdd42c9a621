import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import t from 'tap'
import { programArgs } from '../helpers/program.js'
import { browserCandidates, browserVerdict, findBrowser, INSTALL_COMMAND, runningInCi, type BrowserLookup } from '../helpers/browser.js'

const base = mkdtempSync(join(tmpdir(), 'browser-lookup-'))
t.teardown(() => rmSync(base, { recursive: true, force: true }))
let folders = 0

/** An empty folder standing for the whole file system, home and PATH included. */
function emptyMachine (env: NodeJS.ProcessEnv = {}, platform: NodeJS.Platform = 'linux'): BrowserLookup & { root: string } {
  const root = join(base, `machine-${++folders}`)
  mkdirSync(root)
  return { root, home: join(root, 'home'), platform, env: { PATH: join(root, 'bin'), ...env } }
}

function install (path: string, executable = true): string {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, '#!/bin/sh\n')
  chmodSync(path, executable ? 0o755 : 0o644)
  return path
}

t.test('nothing is found on an empty machine, and the message says where it looked and how to install one', async (t) => {
  const machine = emptyMachine()
  t.equal(findBrowser(machine), undefined)
  const verdict = browserVerdict(machine)
  t.ok('skip' in verdict, 'not run outside CI')
  const message = 'skip' in verdict ? verdict.skip : ''
  t.match(message, /^browser tests not run: no Chromium or Chrome found/)
  t.ok(message.includes(`\`${INSTALL_COMMAND}\``), 'names the install command')
  t.ok(message.includes(join(machine.root, 'home', '.cache', 'ms-playwright')), 'names playwright\'s cache')
  const ci = browserVerdict({ ...machine, env: { ...machine.env, CI: 'true' } })
  t.same(ci, { fail: `${message} CI=true: the browser tests must run in CI.` }, 'the same message fails under CI=true')
})

t.test('each place is looked at, in order: CHROME_PATH, CHROMIUM_PATH, PATH, the usual locations, playwright\'s cache', async (t) => {
  const machine = emptyMachine()
  const cached = install(join(machine.root, 'home', '.cache', 'ms-playwright', 'chromium-1255', 'chrome-linux64', 'chrome'))
  install(
    join(
      machine.root,
      'home',
      '.cache',
      'ms-playwright',
      'chromium_headless_shell-1300',
      'chrome-headless-shell-linux64',
      'chrome-headless-shell'
    )
  )
  t.equal(findBrowser(machine), cached, 'playwright\'s full Chromium before its headless shell')
  const debian = install(join(machine.root, 'usr', 'bin', 'chromium'))
  t.equal(findBrowser(machine), debian, 'Debian\'s /usr/bin/chromium')
  const snap = install(join(machine.root, 'bin', 'chromium-browser'))
  t.equal(findBrowser(machine), snap, 'a browser on PATH')
  const chosen = install(join(machine.root, 'chosen', 'chromium'))
  t.equal(findBrowser({ ...machine, env: { ...machine.env, CHROMIUM_PATH: chosen } }), chosen, 'CHROMIUM_PATH')
  const chrome = install(join(machine.root, 'chosen', 'chrome'))
  t.equal(findBrowser({ ...machine, env: { ...machine.env, CHROMIUM_PATH: chosen, CHROME_PATH: chrome } }), chrome, 'CHROME_PATH first')
  t.same(browserVerdict({ ...machine, env: { ...machine.env, CI: 'true' } }), { run: snap }, 'CI runs the test when a browser is there')
})

t.test('macOS applications, PLAYWRIGHT_BROWSERS_PATH, and files that cannot run', async (t) => {
  const mac = emptyMachine({}, 'darwin')
  const app = install(join(mac.home ?? '', 'Applications', 'Google Chrome.app', 'Contents', 'MacOS', 'Google Chrome'))
  t.equal(findBrowser(mac), app, 'Chrome in ~/Applications')
  const system = install(join(mac.root, 'Applications', 'Chromium.app', 'Contents', 'MacOS', 'Chromium'))
  t.equal(findBrowser(mac), system, 'Chromium in /Applications comes first')
  t.notOk(browserCandidates(mac).some((p) => p.includes('usr/bin')), 'no Linux locations on macOS')

  const linux = emptyMachine()
  const browsers = join(linux.root, 'pw')
  const shell = install(join(browsers, 'chromium_headless_shell-1255', 'chrome-headless-shell-linux64', 'chrome-headless-shell'))
  t.equal(findBrowser({ ...linux, env: { ...linux.env, PLAYWRIGHT_BROWSERS_PATH: browsers } }), shell)

  const plain = install(join(linux.root, 'not-executable', 'chromium'), false)
  const verdict = browserVerdict({ ...emptyMachine(), env: { CHROME_PATH: plain } })
  t.match('skip' in verdict ? verdict.skip : '', `CHROME_PATH=${plain} (not executable)`, 'a CHROME_PATH that cannot run is named')
})

t.test('CI is recognised the way CI services set it', async (t) => {
  t.ok(runningInCi({ CI: 'true' }))
  t.ok(runningInCi({ CI: '1' }))
  t.notOk(runningInCi({ CI: 'false' }))
  t.notOk(runningInCi({}))
})

t.test('a browser test file without a browser: exit 0 and "not run" outside CI, exit 1 with the same message under CI=true', async (t) => {
  const run = (ci: string) => spawnSync(process.execPath, programArgs('test/fixtures/browser-missing'), {
    encoding: 'utf8',
    env: { ...process.env, CI: ci, BROWSER_LOOKUP_ROOT: emptyMachine().root }
  })
  const local = run('')
  t.equal(local.status, 0, local.stdout + local.stderr)
  t.match(local.stdout, /^ok 1 - the chat page in a real browser # SKIP browser tests not run: no Chromium or Chrome found/m)
  t.ok(local.stdout.includes(INSTALL_COMMAND))
  const ci = run('true')
  t.equal(ci.status, 1)
  t.match(ci.stdout, /^not ok 1 - browser tests not run: no Chromium or Chrome found .* CI=true: the browser tests must run in CI\.$/m)
  t.ok(ci.stdout.includes(INSTALL_COMMAND))

  // What .ci/run's closing line makes of the two, as tap saves them in .tap/test-results.
  const results = join(base, 'test-results')
  mkdirSync(results)
  writeFileSync(join(results, 'local.tap'), local.stdout)
  writeFileSync(join(results, 'ci.tap'), ci.stdout)
  const count = spawnSync(
    process.execPath,
    [...programArgs('tools/count-results'), results],
    { encoding: 'utf8' }
  )
  t.equal(count.stdout, '0 passed, 1 failed, 1 skipped\n')
})
