/** smoke-test's inputs: one schema per name in action.yml (the contract test checks). */
import { fields, optional, required, type InputShape } from '@gantry/core'

export const inputs = {
  spec: required(fields.path()),
  'base-url': optional(fields.url()),
  vars: fields.keyValues(),
  concurrency: fields.int(1, 256),
  retries: fields.int(0, 20),
  timeout: fields.duration(1, { timer: true }),
  junit: optional(fields.path()),
  'fail-fast': fields.boolean()
} satisfies InputShape<'smoke-test'>
