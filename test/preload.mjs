// Preloaded into every test process (package.json "tap"."node-arg"): `npm test` runs the tests compiled to dist-test/
// as plain JavaScript (a TypeScript loader costs about a second of CPU per test file); a test run from source
// (`npx tap test/x.test.ts`) gets tsx.
if (process.argv[1]?.endsWith('.ts')) await import('tsx')
