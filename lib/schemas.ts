import { Type } from 'typebox'

/** Fastify's error shape: every 4xx/5xx body looks like this. */
export const ErrorSchema = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
  code: Type.Optional(Type.String())
}, { description: 'Error response' })

export const errorResponses = {
  400: ErrorSchema,
  404: ErrorSchema,
  429: ErrorSchema,
  500: ErrorSchema,
  503: ErrorSchema
}
