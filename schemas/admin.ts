import { Type } from 'typebox'
import { VECTOR_STORE_STATES } from './health.js'

export const ReloadResultSchema = Type.Object({
  ok: Type.Boolean({ description: 'true when the file was opened and now serves' }),
  status: Type.Enum(VECTOR_STORE_STATES, {
    description: 'Status of the file just opened; when ok is false it was rejected and the index already open keeps serving'
  }),
  code: Type.Optional(Type.String({ description: 'Why, as a code: INDEX_NOT_FOUND, INDEX_CORRUPT, INDEX_SCHEMA, INDEX_MODEL_MISMATCH or ' +
    'INDEX_UNAVAILABLE' })),
  reason: Type.Optional(Type.String({ description: 'Why the status is not operational, or why the file was rejected, in a short ' +
    'sentence (the detail is in the service log)' }))
}, {
  $id: 'ReloadResult',
  additionalProperties: false,
  description: 'The outcome of reopening the index file',
  examples: [{ ok: true, status: 'operational' }]
})
