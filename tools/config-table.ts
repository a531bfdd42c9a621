/**
 * Prints the README's configuration table from the config schema, so the two cannot drift:
 * `npx tsx tools/config-table.ts` (test/readme.test.ts checks the README holds this table).
 */
import { pathToFileURL } from 'node:url'
import { ConfigSchema } from '../lib/config.js'

interface Property { default?: unknown, description?: string, enum?: unknown[], minimum?: number, maximum?: number, type?: string }

export function configTable (): string {
  const rows = Object.entries(ConfigSchema.properties as Record<string, Property>).map(([name, p]) => {
    const dflt = p.default === '' ? '(empty)' : `\`${String(p.default)}\``
    const range = p.type === 'integer' && p.maximum !== undefined ? `${p.minimum ?? ''}–${p.maximum}` : (p.type ?? '')
    const values = p.enum ? p.enum.join(' \\| ') : range
    return `| \`${name}\` | ${dflt} | ${values} | ${p.description ?? ''} |`
  })
  return ['| variable | default | values | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(configTable())
