/** What every channel adapter implements, and what it is given. */
import type { Dispatcher } from 'undici'
import type { Delivered, DeliveryPolicy } from '../delivery.js'
import type { Message } from '../message.js'

export type ChannelName = 'slack' | 'teams' | 'discord' | 'webhook' | 'github'

export interface Sent {
  /** What the provider said, short (e.g. "HTTP 200"). */
  detail: string
  attempts: number
  /** Slack Web API only: the message's ts. */
  slackTs?: string
}

export interface SendContext {
  policy: DeliveryPolicy
  dispatcher?: Dispatcher
  /** Told about each retry (for the log). */
  onRetry?: (message: string, attempt: number, delayMs: number) => void
  /** deliver() under the policy, with retries reported to onRetry. */
  deliver<T>(attempt: (n: number) => Promise<T>): Promise<Delivered<T>>
}

export interface Channel {
  name: ChannelName
  send(message: Message, ctx: SendContext): Promise<Sent>
}
