/**
 * Slack: the same Block Kit message through an incoming webhook, or through
 * the Web API with a bot token (chat.postMessage, or chat.update when a ts is
 * given, so one message follows a deployment from started to its result).
 * Limits from Slack's Block Kit reference: header text 150, section text 3000,
 * 10 fields of 2000, 10 context elements, 50 blocks.
 */
import type { ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types'
import { InputError, fields, optional, stringField, type Field } from '@gantry/core'
import { DeliveryError } from '../delivery.js'
import { postJson, type JsonResponse } from '../http.js'
import { clip, type Fact, type Message } from '../message.js'
import type { Channel, SendContext, Sent } from './channel.js'
import { channelKind, webhookUrl } from './kind.js'

/**
 * clip() for mrkdwn: a cut never splits a `<url|label>` link (Slack would show
 * its raw text, or link to half a URL) or an `&amp;`-style escape; the cut moves
 * back to before it.
 */
export function clipMrkdwn(s: string, n: number): string {
  const c = clip(s, n)
  if (c === s) return s
  let kept = c.slice(0, -1)
  const open = kept.lastIndexOf('<')
  if (open > kept.lastIndexOf('>')) kept = kept.slice(0, open)
  const amp = kept.lastIndexOf('&')
  if (amp >= 0 && !kept.slice(amp).includes(';') && kept.length - amp < 5) kept = kept.slice(0, amp)
  return `${kept}…`
}

export const SLACK_LIMITS = { header: 150, sectionText: 3000, fields: 10, fieldText: 2000, contextElements: 10 }

/** Slack's Web API base; GANTRY_SLACK_API_URL points it at a stand-in in tests. */
export function slackApiBase(env: NodeJS.ProcessEnv = process.env): string {
  return (env.GANTRY_SLACK_API_URL || 'https://slack.com/api').replace(/\/+$/, '')
}

/** mrkdwn control characters (Slack: "Escaping text"). */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function link(url: string, label: string): string {
  return `<${url.replace(/[|>]/g, encodeURIComponent)}|${escapeMrkdwn(label)}>`
}

function factText(f: Fact): string {
  const value = f.url ? link(f.url, f.value) : escapeMrkdwn(f.value)
  return `*${escapeMrkdwn(f.label)}*\n${value}`
}

export interface SlackPayload {
  text: string
  blocks: KnownBlock[]
}

export function slackPayload(m: Message): SlackPayload {
  const header: HeaderBlock = {
    type: 'header',
    text: { type: 'plain_text', text: clip(m.title, SLACK_LIMITS.header), emoji: true }
  }
  const text: SectionBlock = {
    type: 'section',
    text: { type: 'mrkdwn', text: clipMrkdwn(escapeMrkdwn(m.text), SLACK_LIMITS.sectionText) }
  }
  const blocks: KnownBlock[] = [header, text]
  if (m.facts.length) {
    const fields: SectionBlock = {
      type: 'section',
      fields: m.facts
        .slice(0, SLACK_LIMITS.fields)
        .map((f) => ({ type: 'mrkdwn', text: clipMrkdwn(factText(f), SLACK_LIMITS.fieldText) }))
    }
    blocks.push(fields)
  }
  // Links as mrkdwn rather than buttons: a link button in an app without an
  // interactivity URL shows a warning triangle when clicked.
  const links = [m.runUrl && link(m.runUrl, 'View run'), m.environmentUrl && link(m.environmentUrl, 'Open environment')]
  const context: ContextBlock = {
    type: 'context',
    elements: [...links.filter((l): l is string => Boolean(l)), 'gantry notify']
      .slice(0, SLACK_LIMITS.contextElements)
      .map((t) => ({ type: 'mrkdwn', text: t }))
  }
  blocks.push(context)
  // `text` is the notification and screen-reader fallback when blocks are present.
  return { text: clip(`${m.title}: ${m.text}`, SLACK_LIMITS.sectionText), blocks }
}

export function slackWebhook(url: string): Channel<'slack'> {
  return {
    name: 'slack',
    async send(m: Message, ctx: SendContext): Promise<Sent> {
      const { value, attempts } = await ctx.deliver(() =>
        postJson(url, JSON.stringify(slackPayload(m)), { timeoutMs: ctx.policy.timeoutMs, dispatcher: ctx.dispatcher })
      )
      return { detail: `HTTP ${value.status}`, attempts }
    }
  }
}

/** Slack Web API errors that a retry may cure (Slack's docs list them per method). */
const TRANSIENT = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited'])

function slackResult(res: JsonResponse): { ts?: string; channel?: string } {
  let data: { ok?: boolean; error?: string; ts?: string; channel?: string }
  try {
    data = JSON.parse(res.text) as typeof data
  } catch {
    throw new DeliveryError(`Slack answered HTTP ${res.status} with a body that is not JSON`, false, res.status)
  }
  if (!data.ok) {
    const error = data.error ?? 'unknown_error'
    throw new DeliveryError(`Slack error: ${error}`, TRANSIENT.has(error), res.status)
  }
  return { ts: data.ts, channel: data.channel }
}

export interface SlackApiOptions {
  token: string
  channel: string
  /** Update this message instead of posting a new one. */
  ts?: string
  baseUrl?: string
}

/** chat.update errors after which posting a new message is the way to still be heard. */
const UPDATE_GONE = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed'])

export function slackApi(o: SlackApiOptions): Channel<'slack'> {
  const base = o.baseUrl ?? slackApiBase()
  const call = async (method: string, body: object, ctx: SendContext) =>
    ctx.deliver(async () =>
      slackResult(
        await postJson(`${base}/${method}`, JSON.stringify(body), {
          timeoutMs: ctx.policy.timeoutMs,
          dispatcher: ctx.dispatcher,
          headers: { authorization: `Bearer ${o.token}` }
        })
      )
    )
  const post = (m: Message, ctx: SendContext) =>
    call('chat.postMessage', { channel: o.channel, ...slackPayload(m), unfurl_links: false, unfurl_media: false }, ctx)
  return {
    name: 'slack',
    async send(m: Message, ctx: SendContext): Promise<Sent> {
      if (!o.ts) {
        const { value, attempts } = await post(m, ctx)
        return { detail: 'chat.postMessage ok', attempts, slackTs: value.ts }
      }
      try {
        const { value, attempts } = await call('chat.update', { channel: o.channel, ts: o.ts, ...slackPayload(m) }, ctx)
        return { detail: 'chat.update ok', attempts, slackTs: value.ts ?? o.ts }
      } catch (e) {
        // The message to update is gone (deleted, or too old to edit): the
        // result must still arrive, so post it as a new message.
        const error = /Slack error: (\w+)/.exec(e instanceof Error ? e.message : '')?.[1]
        if (!error || !UPDATE_GONE.has(error)) throw e
        const { value, attempts } = await post(m, ctx)
        return {
          detail: `chat.update failed (${error}); posted a new message`,
          attempts: attempts + 1,
          slackTs: value.ts
        }
      }
    }
  }
}

/** Slack's message timestamps look like 1700000000.123456. */
const slackTsField: Field<string> = stringField((s, fail) =>
  /^\d+\.\d+$/.test(s) ? s : fail('expected a Slack message ts such as 1700000000.123456')
)

/** Slack, through an incoming webhook or the Web API (one channel either way). */
export const slackKind = channelKind({
  name: 'slack',
  inputs: {
    'slack-webhook': optional(webhookUrl),
    'slack-token': optional(fields.string('a Slack bot token (xoxb-…)')),
    'slack-channel': optional(fields.string('a Slack channel id such as C0123456789')),
    'slack-ts': optional(slackTsField)
  },
  secrets: ['slack-webhook', 'slack-token'],
  tokenUrls: ['slack-webhook'],
  check(v) {
    if (v['slack-token'] && !v['slack-channel']) {
      throw new InputError(
        "Input 'slack-channel' is required with slack-token: expected a Slack channel id such as C0123456789"
      )
    }
    if (!v['slack-token'] && (v['slack-channel'] || v['slack-ts'])) {
      throw new InputError(
        `Input '${v['slack-ts'] ? 'slack-ts' : 'slack-channel'}' needs slack-token: expected a Slack bot token (xoxb-…) with chat:write`
      )
    }
  },
  make(v, ctx) {
    // Both routes configured (e.g. a reusable workflow passing every secret
    // it has): the Web API wins, as only it can update in place.
    if (v['slack-token'] && v['slack-channel']) {
      if (v['slack-webhook']) {
        ctx.warning(
          'slack-webhook is ignored because slack-token is set: Slack is sent through the Web API',
          'notify: slack'
        )
      }
      return [slackApi({ token: v['slack-token'], channel: v['slack-channel'], ts: v['slack-ts'] })]
    }
    return v['slack-webhook'] ? [slackWebhook(v['slack-webhook'])] : []
  }
})
