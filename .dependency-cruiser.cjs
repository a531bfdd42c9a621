// The architecture's rules (docs/architecture.md), checked by `npm run lint` inside `npm test`.
// test/architecture.test.ts shows each rule failing on a deliberate violation.
const { devDependencies } = require('./package.json')

const escape = (name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
const devPackages = `(^|/)node_modules/(${Object.keys(devDependencies).map(escape).join('|')})/`
// What runs in the server: its entry, and what @fastify/autoload loads (no static import leads there).
const SERVER = '^(server|server-snapshot|serve|app)\\.ts$|^(plugins|routes|schemas)/'
const npm = (...names) => `(^|/)node_modules/(${names.map(escape).join('|')})/`

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'lib-no-fastify',
      comment: 'lib/ is pure logic: no Fastify, fastify-plugin or @fastify/* ' +
        '(but @fastify/error, which makes error classes and needs no Fastify)',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '(^|/)node_modules/(fastify|fastify-plugin|@fastify/[^/]+)/', pathNot: npm('@fastify/error') }
    },
    {
      name: 'lib-no-plugins-or-routes',
      comment: 'lib/ knows nothing of the app built on it',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(plugins|routes)/|^(app|server)\\.ts$' }
    },
    {
      name: 'plugins-no-routes',
      comment: 'capabilities never depend on the HTTP routes that use them',
      severity: 'error',
      from: { path: '^plugins/' },
      to: { path: '^routes/' }
    },
    {
      name: 'route-no-other-route',
      comment: 'routes are independent: what two share lives in lib/ or schemas/ (routes/index.ts only lists them for app.ts)',
      severity: 'error',
      from: { path: '^routes/([^/]+)$', pathNot: '^routes/index\\.ts$' },
      to: { path: '^routes/', pathNot: '^routes/$1$' }
    },
    {
      name: 'route-no-database-or-onnx',
      comment: 'routes reach the index and the model through plugins, never directly',
      severity: 'error',
      from: { path: '^routes/' },
      to: { path: npm('better-sqlite3', 'sqlite-vec', 'onnxruntime-node') }
    },
    {
      name: 'server-no-tools',
      comment: 'nothing that runs in the server reaches tools/ (build, bench and ops code)',
      severity: 'error',
      from: { path: SERVER },
      to: { path: '^tools/', reachable: true }
    },
    {
      name: 'server-no-dev-dependency',
      comment: 'nothing that runs in the server reaches a devDependency: production installs omit them',
      severity: 'error',
      from: { path: SERVER },
      to: { path: devPackages, reachable: true }
    }
  ],
  options: {
    parser: 'swc',
    // Type-only imports vanish at compile time: they cannot load anything in the server.
    tsPreCompilationDeps: false,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|test/sdk/generated)/' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
      conditionNames: ['import', 'require', 'node', 'default']
    }
  }
}
