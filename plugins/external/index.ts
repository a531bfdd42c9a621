import cors from './cors.js'
import helmet from './helmet.js'
import rateLimit from './rate-limit.js'
import swagger from './swagger.js'

/**
 * The third-party wrappers, in the order app.ts registers them. A list rather than a directory
 * scan (@fastify/autoload): importing the plugins directly is cheaper at start-up and
 * lets a bundler see them. test/app.test.ts checks it names every file of this folder.
 */
export default [cors, helmet, rateLimit, swagger]
