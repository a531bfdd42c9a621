import { Type } from 'typebox'

/** /metrics answers in the Prometheus text exposition format, not JSON. */
export const MetricsTextSchema = Type.String({
  examples: ['# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes ' +
    'gauge\nprocess_resident_memory_bytes 148013056\n']
})
