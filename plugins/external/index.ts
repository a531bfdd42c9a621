import cors from './cors.js'
import helmet from './helmet.js'
import rateLimit from './rate-limit.js'
import swagger from './swagger.js'

/**
 * The third-party wrappers, in the order app.ts registers them. A list rather than a directory
 * scan (@fastify/autoload): the server runs as one bundled file (tools/bundle.ts), where there is
 * no directory to scan. test/app.test.ts checks it names every file of this folder.
 */
export default [cors, helmet, rateLimit, swagger]
