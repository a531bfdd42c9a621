import module from 'node:module'
import { fileURLToPath } from 'node:url'
import processOnSpawn from 'process-on-spawn'

// V8's compile cache (Node >= 22.1; Node 20 has none): some forty test files load the whole app, about 0.9 s of CPU on
// Node 24, and with the cache they skip compiling its modules, about 0.15 s less each.
module.enableCompileCache?.(fileURLToPath(new URL('../.cache/node-compile-test', import.meta.url)))

// Children the tests start (servers, CLIs, generators) run as from a shell. tap's @tapjs/processinfo adds its --import
// to the NODE_OPTIONS of every child, through process-on-spawn, even one given an environment without it; it tracks
// files for coverage, which is off here (package.json "tap"."disable-coverage"), and costs a child that loads the
// server about 0.4 s of CPU. Listeners run in the order added: this one, added after processinfo's, has the last word.
const PROCESSINFO_ARG = /"--(?:import|loader)=[^"]*@tapjs\/processinfo[^"]*"|--(?:import|loader)=\S*@tapjs\/processinfo\S*/g
if (process.env._TAPJS_PROCESSINFO_COVERAGE_ === '0') {
  processOnSpawn.addListener((child) => {
    const options = child.env.NODE_OPTIONS
    if (options?.includes('@tapjs/processinfo')) {
      child.env = { ...child.env, NODE_OPTIONS: options.replace(PROCESSINFO_ARG, '').trim() }
    }
  })
}

// Preloaded into every test process (package.json "tap"."node-arg"): `npm test` runs the tests compiled to dist-test/
// as plain JavaScript (a TypeScript loader costs about a second of CPU per test file); a test run from source
// (`npx tap test/x.test.ts`) gets tsx.
if (process.argv[1]?.endsWith('.ts')) await import('tsx')
