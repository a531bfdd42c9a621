import module from 'node:module'
import { fileURLToPath } from 'node:url'

// V8's compile cache (Node >= 22.1; Node 20 has none): some forty test files load the whole app, about 0.9 s of CPU on
// Node 24, and with the cache they skip compiling its modules, about 0.15 s less each.
module.enableCompileCache?.(fileURLToPath(new URL('../.cache/node-compile-test', import.meta.url)))

// Preloaded into every test process (package.json "tap"."node-arg"): `npm test` runs the tests compiled to dist-test/
// as plain JavaScript (a TypeScript loader costs about a second of CPU per test file); a test run from source
// (`npx tap test/x.test.ts`) gets tsx.
if (process.argv[1]?.endsWith('.ts')) await import('tsx')
