/** notify's inputs: one schema per name in action.yml (the contract test checks). */
import { fields, optional, required, type Field, type InputShape } from '@gantry/core'
import { STATUSES } from '@gantry/notify'
import { z } from 'zod'

/** Slack's message timestamps look like 1700000000.123456. */
const slackTs: Field<string> = z.string().regex(/^\d+\.\d+$/, 'expected a Slack message ts such as 1700000000.123456')

export const inputs = {
  status: required(fields.oneOf(STATUSES)),
  title: optional(fields.string()),
  message: optional(fields.string()),
  environment: optional(fields.string('an environment name such as production')),
  'release-id': optional(fields.string()),
  'environment-url': optional(fields.url()),
  'slack-webhook': optional(fields.url()),
  'slack-token': optional(fields.string('a Slack bot token (xoxb-…)')),
  'slack-channel': optional(fields.string('a Slack channel id such as C0123456789')),
  'slack-ts': optional(slackTs),
  'teams-webhook': optional(fields.url()),
  'discord-webhook': optional(fields.url()),
  webhook: optional(fields.url()),
  'webhook-secret': optional(fields.string()),
  'github-deployment-id': optional(fields.int(1)),
  token: optional(fields.string('a GitHub token')),
  timeout: fields.duration(1),
  'fail-on-error': fields.boolean()
} satisfies InputShape<'notify'>

/** Inputs whose values are never echoed and are masked everywhere. */
export const secretInputs = [
  'slack-webhook',
  'slack-token',
  'teams-webhook',
  'discord-webhook',
  'webhook',
  'webhook-secret',
  'token'
] as const
