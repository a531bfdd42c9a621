import admin from './admin.js'
import chat from './chat.js'
import documents from './documents.js'
import health from './health.js'
import memory from './memory.js'
import metrics from './metrics.js'
import openai, { autoPrefix as openaiPrefix } from './openai.js'
import search from './search.js'
import stats from './stats.js'
import ui from './ui.js'

/**
 * The route plugins, with the prefix each is registered under. A list rather than a directory scan
 * (@fastify/autoload): importing the plugins directly is cheaper at start-up and
 * lets a bundler see them. test/app.test.ts checks it names every file of this folder.
 */
export default [
  { plugin: admin },
  { plugin: chat },
  { plugin: documents },
  { plugin: health },
  { plugin: memory },
  { plugin: metrics },
  { plugin: openai, prefix: openaiPrefix },
  { plugin: search },
  { plugin: stats },
  { plugin: ui }
]
