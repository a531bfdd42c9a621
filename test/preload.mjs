// Preloaded into every test process (package.json "tap"."node-arg"); spawned servers and tools are not affected.
import module from 'node:module'
import { fileURLToPath } from 'node:url'

// V8's compile cache (Node >= 22.1): some thirty test files load the whole app, and after the first they skip
// most of the compiling.
module.enableCompileCache?.(fileURLToPath(new URL('../.cache/node-compile-test', import.meta.url)))

// `npm test` runs the tests compiled to dist-test/ as plain JavaScript (a TypeScript loader costs about a second of
// CPU per test file); a test run from source (`npx tap test/x.test.ts`) gets tsx.
if (process.argv[1]?.endsWith('.ts')) await import('tsx')
