/** health-gate's inputs: one schema per name in action.yml (the contract test checks). */
import { fields, optional, required, type InputShape } from '@gantry/core'

export const inputs = {
  url: required(fields.urls()),
  method: fields.method(),
  headers: fields.headers(),
  'expect-status': fields.statusSet(),
  'expect-body': optional(fields.regex()),
  timeout: fields.duration(1, { timer: true }),
  interval: fields.duration(1, { timer: true }),
  'max-wait': fields.duration(1, { timer: true }),
  'healthy-threshold': fields.int(1, 1000),
  samples: fields.int(0, 1_000_000),
  concurrency: fields.int(1, 1024),
  'max-error-rate': fields.rate(),
  'max-p95': optional(fields.duration(1)),
  baseline: optional(fields.path()),
  'max-latency-ratio': fields.number(0, 'a number greater than 0, such as 2', true),
  'fail-on-unhealthy': fields.boolean()
} satisfies InputShape<'health-gate'>
