import t from 'tap'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from '../lib/paths.js'
import appPlugins from '../plugins/app/index.js'
import externalPlugins from '../plugins/external/index.js'
import routes from '../routes/index.js'

const lists: Record<string, readonly unknown[]> = {
  'plugins/external': externalPlugins,
  'plugins/app': appPlugins,
  routes: routes.map((r) => r.plugin)
}

for (const [folder, listed] of Object.entries(lists)) {
  t.test(`${folder}/index.ts lists every plugin of its folder, once`, async (t) => {
    const files = readdirSync(join(repoRoot, folder)).filter((f) => f.endsWith('.ts') && f !== 'index.ts').sort()
    const defaults = await Promise.all(
      // Next to this test's own code: the sources under tsx, their compiled JavaScript under `npm test`.
      files.map(async (f) => {
        const module = await import(new URL(`../${folder}/${f.replace(/\.ts$/, '.js')}`, import.meta.url).href) as { default: unknown }
        return module.default
      })
    )
    t.same(files.filter((_, i) => !listed.includes(defaults[i])), [], 'files whose plugin is not listed')
    t.equal(new Set(listed).size, files.length, 'as many plugins listed as there are files')
  })
}
