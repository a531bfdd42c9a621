import SwaggerParser from '@apidevtools/swagger-parser'
import t from 'tap'
import { build } from '../helper.js'

t.test('GET /openapi.json passes an OpenAPI 3 validator, so generated SDKs work', async (t) => {
  const app = await build(t)
  const doc = (await app.inject('/openapi.json')).json()
  const validated = await SwaggerParser.validate(structuredClone(doc))
  t.ok(validated.paths, 'valid OpenAPI document')
  const chat = doc.paths['/chat'].post
  t.same(Object.keys(chat.requestBody.content), ['application/json'])
  t.ok(chat.responses['200'].content['application/json'].schema.properties.citations, 'the chat response schema is complete')
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
    for (const [method, op] of Object.entries(ops)) {
      t.ok(Object.keys(op.responses).length > 0, `${method.toUpperCase()} ${path} declares its responses`)
    }
  }
})
