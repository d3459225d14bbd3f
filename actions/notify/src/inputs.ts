/** notify's inputs: one schema per name in action.yml (the contract test checks). */
import { fields, optional, required, type Field, type InputShape } from '@gantry/core'
import { STATUSES } from '@gantry/notify'
import * as z from 'zod/mini'

/**
 * An http(s) URL kept exactly as written: environment_url is shown to users
 * as given, and a webhook URL's secret is masked in the form the user knows.
 */
const url: Field<string> = z.string().check(
  z.refine((s) => {
    try {
      return ['http:', 'https:'].includes(new URL(s).protocol)
    } catch {
      return false
    }
  }, 'expected an http(s) URL such as https://example.com/healthz')
)

/** Slack's message timestamps look like 1700000000.123456. */
const slackTs: Field<string> = z
  .string()
  .check(z.regex(/^\d+\.\d+$/, 'expected a Slack message ts such as 1700000000.123456'))

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
