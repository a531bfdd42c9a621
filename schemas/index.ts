import {
  ChatDoneEventSchema,
  ChatErrorEventSchema,
  ChatEventSchema,
  ChatResponseSchema,
  ChatTokenEventSchema,
  CitationSchema,
  GuardrailReportSchema,
  TurnSchema
} from './chat.js'
import { DocumentDetailSchema, DocumentListSchema, DocumentSummarySchema } from './documents.js'
import { ReloadResultSchema } from './admin.js'
import { HealthSchema, LivenessSchema, ReadinessSchema } from './health.js'
import { MemorySchema } from './memory.js'
import { StatsSchema } from './stats.js'
import { SearchHitSchema, SearchResponseSchema } from './search.js'
import { ErrorSchema } from './shared.js'

/** Every named schema, in the order OpenAPI lists them under components.schemas. */
export const componentSchemas = [
  ErrorSchema,
  TurnSchema, CitationSchema, GuardrailReportSchema, ChatResponseSchema,
  ChatTokenEventSchema, ChatDoneEventSchema, ChatErrorEventSchema, ChatEventSchema,
  SearchHitSchema, SearchResponseSchema,
  DocumentSummarySchema, DocumentListSchema, DocumentDetailSchema,
  HealthSchema, LivenessSchema, ReadinessSchema, MemorySchema, StatsSchema, ReloadResultSchema
]
