/**
 * notify's inputs: its own (names.ts), plus every registered channel's
 * (packages/notify/src/channels/registry.ts). One schema per name in
 * action.yml (the contract test checks).
 */
import { fields, optional, required, type InputShape } from '@gantry/core'
import { STATUSES, channelRegistry } from '@gantry/notify'

export const inputs = {
  status: required(fields.oneOf(STATUSES)),
  title: optional(fields.string()),
  message: optional(fields.string()),
  environment: optional(fields.string('an environment name such as production')),
  'release-id': optional(fields.string()),
  // Kept exactly as written: it is shown to users as given.
  'environment-url': optional(fields.urlText()),
  ...channelRegistry.inputs,
  timeout: fields.duration(1, { timer: true }),
  'fail-on-error': fields.boolean()
} satisfies InputShape<'notify'>

/** Inputs whose values are never echoed and are masked everywhere: the channels' secrets. */
export const secretInputs = channelRegistry.secrets
