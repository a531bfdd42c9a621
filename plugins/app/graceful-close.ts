import fp from 'fastify-plugin'

/**
 * Lets a graceful close finish with keep-alive clients. Node's server.close() ends only the
 * connections idle at that moment: one whose request was still in flight would stay open after its
 * response until the keep-alive timeout (KEEP_ALIVE_TIMEOUT_MS), so the process would outlive SHUTDOWN_GRACE_MS and
 * be killed. Once closing starts, every response says `Connection: close` and its connection ends
 * with it; connections left idle by responses that began before (event streams) are closed too.
 */
export default fp(async function gracefulClose (fastify) {
  let closing = false
  fastify.addHook('preClose', async () => {
    closing = true
  })
  fastify.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close')
    return payload
  })
  // A stream whose headers went out before the close began ends on a keep-alive connection: close it once idle.
  fastify.addHook('onResponse', async () => {
    if (closing) setImmediate(() => fastify.server.closeIdleConnections())
  })
}, { name: 'graceful-close' })
