/**
 * A generic webhook: the message as JSON, signed like GitHub's own webhooks
 * (`X-Gantry-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>`).
 * X-Gantry-Delivery stays the same across retries so a receiver can drop a
 * duplicate.
 */
import { createHmac, randomUUID } from 'node:crypto'
import { InputError, fields, optional } from '@gantry/core'
import { postJson } from '../http.js'
import type { Message } from '../message.js'
import type { Channel, SendContext, Sent } from './channel.js'
import { channelKind, webhookUrl } from './kind.js'

export function sign(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`
}

export function webhookBody(m: Message): Record<string, unknown> {
  const c = m.context
  return {
    schema: 1,
    event: 'deployment',
    status: m.status,
    title: m.title,
    message: m.text,
    repository: c.repository ?? null,
    ref: c.ref ?? null,
    sha: c.sha ?? null,
    actor: c.actor ?? null,
    environment: c.environment ?? null,
    releaseId: c.releaseId ?? null,
    environmentUrl: c.environmentUrl ?? null,
    runUrl: c.runUrl ?? null,
    durationMs: c.durationMs ?? null,
    timestamp: m.timestamp
  }
}

export function genericWebhook(url: string, secret?: string): Channel<'webhook'> {
  return {
    name: 'webhook',
    async send(m: Message, ctx: SendContext): Promise<Sent> {
      const body = JSON.stringify(webhookBody(m))
      const headers: Record<string, string> = { 'x-gantry-event': 'deployment', 'x-gantry-delivery': randomUUID() }
      if (secret) headers['x-gantry-signature'] = sign(body, secret)
      const { value, attempts } = await ctx.deliver(() =>
        postJson(url, body, { timeoutMs: ctx.policy.timeoutMs, dispatcher: ctx.dispatcher, headers })
      )
      return { detail: `HTTP ${value.status}`, attempts }
    }
  }
}

export const webhookKind = channelKind({
  name: 'webhook',
  inputs: { webhook: optional(webhookUrl), 'webhook-secret': optional(fields.string()) },
  secrets: ['webhook', 'webhook-secret'],
  tokenUrls: ['webhook'],
  check(v) {
    if (v['webhook-secret'] && !v.webhook)
      throw new InputError("Input 'webhook-secret' needs 'webhook': expected an http(s) URL")
  },
  make: (v) => (v.webhook ? [genericWebhook(v.webhook, v['webhook-secret'])] : [])
})
