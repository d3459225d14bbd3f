/** notify's inputs: one schema per name in action.yml (the contract test checks). */
import { fields, optional, required, stringField, type Field, type InputShape } from '@gantry/core'
import { STATUSES } from '@gantry/notify'

/**
 * An http(s) URL kept exactly as written: environment_url is shown to users
 * as given, and a webhook URL's secret is masked in the form the user knows.
 */
const url = fields.urlText()

/** Slack's message timestamps look like 1700000000.123456. */
const slackTs: Field<string> = stringField((s, fail) =>
  /^\d+\.\d+$/.test(s) ? s : fail('expected a Slack message ts such as 1700000000.123456')
)

export const inputs = {
  status: required(fields.oneOf(STATUSES)),
  title: optional(fields.string()),
  message: optional(fields.string()),
  environment: optional(fields.string('an environment name such as production')),
  'release-id': optional(fields.string()),
  'environment-url': optional(url),
  'slack-webhook': optional(url),
  'slack-token': optional(fields.string('a Slack bot token (xoxb-…)')),
  'slack-channel': optional(fields.string('a Slack channel id such as C0123456789')),
  'slack-ts': optional(slackTs),
  'teams-webhook': optional(url),
  'discord-webhook': optional(url),
  webhook: optional(url),
  'webhook-secret': optional(fields.string()),
  'github-deployment-id': optional(fields.int(1)),
  token: optional(fields.string('a GitHub token')),
  timeout: fields.duration(1, { timer: true }),
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
