// Loaded into each test process before tap's own loaders (package.json "tap"."test-env" puts it in NODE_OPTIONS, whose
// --import modules run before the command line's). tap's @tapjs/processinfo records every module a test process loads
// and parses the source map of each (some 400 with the app): about 0.5 s of CPU per test file, for coverage, which is
// off here ("disable-coverage"), and `tap --changed`. Its documented exclusion pattern, set before it reads it, now
// matches every module, so it records only the test file itself. This file then leaves NODE_OPTIONS, so the children
// the tests start do not load it (test/preload.mjs keeps processinfo out of them too).
process.env._TAPJS_PROCESSINFO_EXCLUDE_ = '/./'
process.env.NODE_OPTIONS = (process.env.NODE_OPTIONS ?? '').replace(/"?--import=\S*processinfo-off\.mjs"?/, '').trim()
