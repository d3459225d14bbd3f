/** deploy-atomic's inputs: one schema per name in action.yml (the contract test checks). */
import { fields, optional, required, type InputShape } from '@gantry/core'
import { releaseFields, targetInputs } from '@gantry/release'

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
  token: optional(fields.string())
} satisfies InputShape<'deploy-atomic'>
