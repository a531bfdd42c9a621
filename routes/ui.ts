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
  'x-frame-options': 'DENY'
}

export const publicDir = join(repoRoot, 'public')

/** URL → file in public/. Listed rather than globbed so unknown paths stay the app's JSON 404. */
export const PAGE_FILES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/style.css': 'style.css',
  '/favicon.svg': 'favicon.svg'
}

/**
 * The chat page at `/`: public/ served as-is through @fastify/static (https://github.com/fastify/fastify-static).
 * Not wrapped in fastify-plugin, so the CSP hook covers only these files and /docs keeps its own policy.
 * The files are cheap and the page is useless without them, so they are exempt from the rate limit;
 * /chat, which the page calls, is not.
 */
const ui: FastifyPluginAsync = async (fastify) => {
  fastify.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(PAGE_HEADERS)
    return payload
  })

  await fastify.register(fastifyStatic, { root: publicDir, serve: false })

  for (const [url, file] of Object.entries(PAGE_FILES)) {
    fastify.get(url, { schema: { hide: true }, config: { rateLimit: false } }, (_request, reply) => reply.sendFile(file))
  }
}

export default ui
