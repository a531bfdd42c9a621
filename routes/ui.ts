import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'
import { join } from 'node:path'
import { repoRoot } from '../lib/paths.js'

/** Exactly what the chat page needs: its own script, stylesheet and icon, and fetch() to /chat. */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'"
].join('; ')

export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin'
}

export const publicDir = join(repoRoot, 'public')

/**
 * The chat page at `/`: public/ served as-is by @fastify/static (https://github.com/fastify/fastify-static).
 * Not wrapped in fastify-plugin, so the CSP hook covers only these files and /docs keeps its own policy.
 * Set in onSend, the headers also win over any global @fastify/helmet policy set earlier in the request.
 */
const ui: FastifyPluginAsync = async (fastify) => {
  fastify.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(PAGE_HEADERS)
    return payload
  })

  await fastify.register(fastifyStatic, {
    root: publicDir,
    prefix: '/',
    // One route per file found at startup instead of a catch-all: unknown paths stay the app's JSON 404.
    wildcard: false,
    index: ['index.html'],
    decorateReply: false,
    schemaHide: true
  })
}

export default ui
