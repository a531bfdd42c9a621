import v8 from 'node:v8'
// Fastify loads pino when it creates its logger; loaded here, it is in the snapshot (app.ts gives it this
// process's pid and host: pino reads its defaults as it is loaded).
import 'pino'
import { buildApp } from './app.js'
import { loadConfig } from './lib/config.js'
import { serve } from './serve.js'

/**
 * The entry of the V8 start-up snapshot (tools/build-snapshot.ts bundles it and runs `node --build-snapshot`):
 * evaluating this module and all it imports (fastify, ajv, typebox, the service's code) happens at build
 * time, and a start deserialises the result instead of loading some 800 modules. Only the deserialised main
 * function runs per start: reading the environment, opening the index (native addons load then, never
 * into the snapshot), listening. bin/start.sh picks this or server.ts.
 */

// Compiles the settings' validator now, into the snapshot (ajv keeps it); the values are read again at start.
loadConfig({}, {})

v8.startupSnapshot.setDeserializeMainFunction(() => serve(buildApp, { snapshot: true }))
