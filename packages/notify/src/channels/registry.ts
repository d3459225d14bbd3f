/**
 * Every notify channel, registered once. notify's inputs, secret masking,
 * combination checks and the channels it sends to are derived from this
 * list: a new channel is its module (a ChannelKind) plus one entry here.
 */
import { maskKindSecrets, maskSecret, registry } from '@gantry/core'
import type { Channel } from './channel.js'
import { discordKind } from './discord.js'
import { emailKind } from './email.js'
import { githubKind } from './github.js'
import { maskUrlTokens, type MakeContext } from './kind.js'
import { slackKind } from './slack.js'
import { teamsKind } from './teams.js'
import { webhookKind } from './webhook.js'

export const channelRegistry = registry('channel', [
  slackKind,
  teamsKind,
  discordKind,
  webhookKind,
  githubKind,
  emailKind
] as const)

/** The channels' parsed values, as notify's parseInputs returns them (a superset is fine). */
type Values = Record<string, unknown>

/**
 * Masks every channel's secrets in our own files too (parseInputs masks the
 * log), the tokens inside webhook URLs, and the parts a channel derives.
 */
export function maskChannelSecrets(values: Values): void {
  maskKindSecrets(channelRegistry, values)
  for (const kind of channelRegistry.kinds) {
    for (const name of kind.tokenUrls ?? []) maskUrlTokens(values[name] as string | undefined)
    for (const part of kind.secretParts?.(values as never) ?? []) maskSecret(part)
  }
}

/** Each channel's combination checks, in registration order: the first problem throws InputError. */
export function checkChannels(values: Values): void {
  for (const kind of channelRegistry.kinds) kind.check?.(values as never)
}

/** The configured channels, in registration order. */
export function makeChannels(values: Values, ctx: MakeContext): Channel[] {
  return channelRegistry.kinds.flatMap((kind): Channel[] => kind.make(values as never, ctx))
}
