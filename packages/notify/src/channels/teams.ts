/**
 * Microsoft Teams through a Workflows webhook (Office 365 connectors are
 * retired). The Workflows "post card" flow expects the Bot Framework message
 * envelope with one Adaptive Card attachment. Version 1.4: what Teams renders
 * on every client, mobile included. Text is not Markdown-escaped: Teams'
 * Markdown subset shows backslash escapes literally, which is worse than the
 * odd emphasis; only link labels lose their brackets.
 */
import { optional } from '@gantry/core'
import { postJson } from '../http.js'
import type { Message } from '../message.js'
import type { Channel, SendContext, Sent } from './channel.js'
import { channelKind, webhookUrl } from './kind.js'

export const ADAPTIVE_CARD_VERSION = '1.4'
export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive'

export function adaptiveCard(m: Message): Record<string, unknown> {
  const actions = [
    m.runUrl && { type: 'Action.OpenUrl', title: 'View run', url: m.runUrl },
    m.environmentUrl && { type: 'Action.OpenUrl', title: 'Open environment', url: m.environmentUrl }
  ].filter(Boolean)
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: ADAPTIVE_CARD_VERSION,
    body: [
      { type: 'TextBlock', text: m.title, weight: 'Bolder', size: 'Large', color: m.teamsColor, wrap: true },
      { type: 'TextBlock', text: m.text, wrap: true },
      {
        type: 'FactSet',
        facts: m.facts.map((f) => ({
          title: f.label,
          value: f.url ? `[${f.value.replace(/[[\]]/g, '')}](${f.url})` : f.value
        }))
      }
    ],
    ...(actions.length ? { actions } : {}),
    msteams: { width: 'Full' }
  }
}

export function teamsPayload(m: Message): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: adaptiveCard(m) }]
  }
}

export function teamsWebhook(url: string): Channel<'teams'> {
  return {
    name: 'teams',
    async send(m: Message, ctx: SendContext): Promise<Sent> {
      const { value, attempts } = await ctx.deliver(() =>
        postJson(url, JSON.stringify(teamsPayload(m)), { timeoutMs: ctx.policy.timeoutMs, dispatcher: ctx.dispatcher })
      )
      return { detail: `HTTP ${value.status}`, attempts }
    }
  }
}

export const teamsKind = channelKind({
  name: 'teams',
  inputs: { 'teams-webhook': optional(webhookUrl) },
  secrets: ['teams-webhook'],
  tokenUrls: ['teams-webhook'],
  make: (v) => (v['teams-webhook'] ? [teamsWebhook(v['teams-webhook'])] : [])
})
