/**
 * Discord webhook embeds. Discord rejects a message over its limits (title
 * 256, description 4096, 25 fields of 256/1024, footer 2048, 6000 in all), so
 * the embed is cut to fit rather than lost. Mentions are disabled: a commit
 * message saying @everyone must not ping a server.
 */
import type { APIEmbed, RESTPostAPIWebhookWithTokenJSONBody } from 'discord-api-types/v10'
import { optional } from '@gantry/core'
import { DeliveryError } from '../delivery.js'
import { postJson } from '../http.js'
import { clip, type Message } from '../message.js'
import type { Channel, SendContext, Sent } from './channel.js'
import { channelKind, webhookUrl } from './kind.js'

export const DISCORD_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  author: 256,
  total: 6000
}

function escapeMd(s: string): string {
  return s.replace(/([\\*_~`|[\]>])/g, '\\$1')
}

/** The characters Discord counts towards the 6000 total. */
export function embedSize(e: APIEmbed): number {
  let n = (e.title ?? '').length + (e.description ?? '').length
  n += (e.footer?.text ?? '').length + (e.author?.name ?? '').length
  for (const f of e.fields ?? []) n += f.name.length + f.value.length
  return n
}

export function discordPayload(m: Message): RESTPostAPIWebhookWithTokenJSONBody {
  const fields = m.facts.slice(0, DISCORD_LIMITS.fields).map((f) => ({
    name: clip(f.label, DISCORD_LIMITS.fieldName),
    value: clip(f.url ? `[${escapeMd(f.value)}](${f.url})` : escapeMd(f.value), DISCORD_LIMITS.fieldValue) || '–',
    inline: true
  }))
  const embed: APIEmbed = {
    title: clip(m.title, DISCORD_LIMITS.title),
    description: clip(escapeMd(m.text), DISCORD_LIMITS.description),
    color: parseInt(m.color.slice(1), 16),
    fields,
    footer: { text: 'gantry notify' },
    timestamp: m.timestamp,
    ...(m.runUrl ? { url: m.runUrl } : {})
  }
  // Over the total: shorten the description first, then drop trailing fields.
  const over = embedSize(embed) - DISCORD_LIMITS.total
  if (over > 0 && embed.description) {
    embed.description = clip(embed.description, Math.max(1, embed.description.length - over))
  }
  while (embedSize(embed) > DISCORD_LIMITS.total && embed.fields && embed.fields.length) embed.fields.pop()
  return { embeds: [embed], allowed_mentions: { parse: [] } }
}

export function discordWebhook(url: string): Channel<'discord'> {
  return {
    name: 'discord',
    async send(m: Message, ctx: SendContext): Promise<Sent> {
      const { value, attempts } = await ctx.deliver(async () => {
        try {
          return await postJson(url, JSON.stringify(discordPayload(m)), {
            timeoutMs: ctx.policy.timeoutMs,
            dispatcher: ctx.dispatcher
          })
        } catch (e) {
          throw withBodyRetryAfter(e)
        }
      })
      return { detail: `HTTP ${value.status}`, attempts }
    }
  }
}

/** Discord also gives `retry_after` (seconds) in a 429's JSON body; use it when the header is missing. */
function withBodyRetryAfter(e: unknown): unknown {
  if (!(e instanceof DeliveryError) || e.status !== 429 || e.retryAfterMs !== undefined) return e
  const m = /"retry_after"\s*:\s*([\d.]+)/.exec(e.message)
  if (!m) return e
  return new DeliveryError(e.message, true, 429, Math.ceil(Number(m[1]) * 1000))
}

export const discordKind = channelKind({
  name: 'discord',
  inputs: { 'discord-webhook': optional(webhookUrl) },
  secrets: ['discord-webhook'],
  tokenUrls: ['discord-webhook'],
  make: (v) => (v['discord-webhook'] ? [discordWebhook(v['discord-webhook'])] : [])
})
