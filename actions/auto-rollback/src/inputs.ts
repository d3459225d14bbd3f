/** auto-rollback's inputs: one schema per name in action.yml (the contract test checks). */
import { fields, optional, type InputShape } from '@gantry/core'
import { releaseFields, targetInputs } from '@gantry/release'
import { slotRouterInputs } from '@gantry/traffic'

export const inputs = {
  ...targetInputs,
  to: optional(releaseFields.releaseId()),
  // `idle` takes no traffic, so there is nothing of it to roll back: the slot is named.
  slot: optional(
    releaseFields.slot({
      idle: false,
      why: 'a rollback needs the slot that served the release (idle names the one without traffic)'
    })
  ),
  // With slot: the router that moves the slot's traffic back first (traffic's inputs).
  ...slotRouterInputs,
  reason: optional(fields.string()),
  environment: optional(fields.string()),
  watch: fields.duration(0, { timer: true }),
  // One URL per line, as health-gate's url (deploy.yml passes the same value to both).
  'health-url': optional(fields.urls()),
  // The same fields as health-gate's: one syntax, one default, one error message.
  'expect-status': fields.statusSet(),
  'expect-body': optional(fields.regex()),
  interval: fields.duration(1, { timer: true }),
  'unhealthy-threshold': fields.int(1, 1000),
  'max-error-rate': optional(fields.rate()),
  'max-p95': optional(fields.duration(1)),
  baseline: optional(fields.path()),
  'max-latency-ratio': fields.number(0, 'a number greater than 0, such as 2', true),
  'github-deployment-id': optional(fields.int(1)),
  token: optional(fields.string())
} satisfies InputShape<'auto-rollback'>
