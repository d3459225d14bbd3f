/** deploy-atomic's inputs: one schema per name in action.yml (the contract test checks). */
import { fields, optional, required, type InputShape } from '@gantry/core'
import { releaseFields, targetInputs } from '@gantry/release'
import { rollingInputs } from '@gantry/traffic'

export const inputs = {
  source: required(fields.path()),
  ...targetInputs,
  'allow-empty': fields.boolean(),
  'release-id': optional(releaseFields.releaseId()),
  slot: optional(releaseFields.slot({ idle: true })),
  keep: fields.int(1, 1000),
  shared: releaseFields.sharedPaths(),
  activate: optional(releaseFields.command()),
  environment: optional(fields.string()),
  'github-deployment': fields.boolean(),
  token: optional(fields.string()),
  // strategy: rolling: the batch size, the per-host health URL and the router inputs of traffic.
  ...rollingInputs,
  // The per-host gate: health-gate's fields (one syntax, one default, one error message).
  'expect-status': fields.statusSet(),
  'expect-body': optional(fields.regex()),
  interval: fields.duration(1, { timer: true }),
  'max-wait': fields.duration(1, { timer: true }),
  samples: fields.int(0, 1_000_000)
} satisfies InputShape<'deploy-atomic'>
