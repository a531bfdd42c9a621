import cors from '@fastify/cors'
import fp from 'fastify-plugin'

/** CORS (@fastify/cors), off unless CORS_ORIGIN names the origins allowed (or `*`). */
export default fp(async function corsPolicy (fastify) {
  const setting = fastify.config.CORS_ORIGIN.trim()
  if (setting === '') return
  const origin = setting === '*' ? true : setting.split(',').map((o) => o.trim()).filter(Boolean)
  await fastify.register(cors, {
    origin,
    methods: ['GET', 'POST'],
    allowedHeaders: ['Content-Type', 'Authorization', 'Accept'],
    maxAge: 600
  })
}, { name: 'cors', dependencies: ['config'] })
