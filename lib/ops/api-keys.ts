import { createHash, timingSafeEqual } from 'node:crypto'

export function parseApiKeys (setting: string): string[] {
  return setting.split(',').map((k) => k.trim()).filter(Boolean)
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

/**
 * Whether an `Authorization` header carries one of the keys. Digests make every comparison the
 * same length, and every key is compared, so timing tells nothing about which key nearly matched.
 */
export function makeKeyChecker (keys: readonly string[]): (authorization: string | undefined) => boolean {
  const digests = keys.map(digest)
  return (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
    const offered = digest(match?.[1] ?? '')
    let ok = false
    for (const d of digests) ok = timingSafeEqual(d, offered) || ok
    return ok && match !== null
  }
}
