/**
 * Microsoft Teams through a Workflows webhook (Office 365 connectors are
 * retired). The Workflows "post card" flow expects the Bot Framework message
 * envelope with one Adaptive Card attachment. Version 1.4: what Teams renders
 * on every client, mobile included.
 */
import { postJson } from '../http.js'
import type { Message } from '../message.js'
import type { Channel, SendContext, Sent } from './channel.js'

export const ADAPTIVE_CARD_VERSION = '1.4'
export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive'

/** Adaptive Card TextBlocks render a Markdown subset: brackets would read as links. */
function md(s: string): string {
  return s.replace(/([\\[\]*_`])/g, '\\$1')
}

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
      { type: 'TextBlock', text: md(m.title), weight: 'Bolder', size: 'Large', color: m.teamsColor, wrap: true },
      { type: 'TextBlock', text: md(m.text), wrap: true },
      {
        type: 'FactSet',
        facts: m.facts.map((f) => ({ title: f.label, value: f.url ? `[${md(f.value)}](${f.url})` : md(f.value) }))
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

export function teamsWebhook(url: string): Channel {
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
