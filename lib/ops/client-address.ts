import { isIP } from 'node:net'
import { ConfigError } from '../config.js'

/**
 * Whose word the service takes for the client's address (TRUST_PROXY). The default trusts no
 * proxy: the socket's peer is the client. A client can write any X-Forwarded-For it likes, so
 * only the entries appended by proxies we run behind count: the last `hops` of them, or those
 * appended by the listed addresses. On fly.io the edge proxy sets Fly-Client-IP itself.
 */
export type ProxyTrust =
  | { mode: 'off' }
  | { mode: 'hops', hops: number }
  | { mode: 'addresses', addresses: string[] }
  | { mode: 'fly' }

export interface AddressedRequest {
  /** The address Fastify derived from the socket and the trusted X-Forwarded-For entries. */
  ip: string
  headers: Record<string, string | string[] | undefined>
}

const FLY_HEADER = 'fly-client-ip'

export function parseTrustProxy (setting: string): ProxyTrust {
  const value = setting.trim().toLowerCase()
  if (value === '' || value === 'off' || value === 'false' || value === '0') return { mode: 'off' }
  if (value === 'fly') return { mode: 'fly' }
  if (/^\d+$/.test(value)) {
    const hops = Number(value)
    if (hops > 10) throw new ConfigError(`TRUST_PROXY must be at most 10 hops (got ${value})`)
    return { mode: 'hops', hops }
  }
  if (value === 'true') {
    throw new ConfigError('TRUST_PROXY=true would trust any X-Forwarded-For a client writes: give the number of proxies in front (e.g. ' +
      '1), their addresses, or "fly"')
  }
  const addresses = value.split(',').map((a) => a.trim()).filter(Boolean)
  const bad = addresses.find((a) => !isAddressOrCidr(a))
  if (bad !== undefined) {
    throw new ConfigError(`TRUST_PROXY must be off, fly, a hop count or addresses/CIDRs separated by commas (got ${JSON.stringify(bad)})`)
  }
  return { mode: 'addresses', addresses }
}

/**
 * Fastify's `trustProxy` for this trust: X-Forwarded-For is read only in the hops and addresses
 * modes. Hops as proxy-addr's function form (hop 0 is the socket's peer), as Fastify builds it from a number.
 */
export function fastifyTrustProxy (trust: ProxyTrust): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (trust.mode === 'hops') {
    const { hops } = trust
    return (_address, hop) => hop < hops
  }
  if (trust.mode === 'addresses') return trust.addresses
  return false
}

/** The client's address as the rate limiter keys it. */
export function clientAddress (trust: ProxyTrust, request: AddressedRequest): string {
  if (trust.mode === 'fly') {
    const header = request.headers[FLY_HEADER]
    const value = typeof header === 'string' ? header.trim() : ''
    if (isIP(value) !== 0) return value
  }
  return request.ip
}

function isAddressOrCidr (value: string): boolean {
  const [address = '', prefix, extra] = value.split('/')
  const family = isIP(address)
  if (family === 0 || extra !== undefined) return false
  if (prefix === undefined) return true
  if (!/^\d{1,3}$/.test(prefix)) return false
  return Number(prefix) <= (family === 4 ? 32 : 128)
}
