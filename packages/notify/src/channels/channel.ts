/** What every channel adapter implements, and what it is given. */
import type { Dispatcher } from 'undici'
import type { Delivered, DeliveryPolicy } from '../delivery.js'
import type { Message } from '../message.js'
import type { channelRegistry } from './registry.js'

/** The registered channels' names (registry.ts is the one list). */
export type ChannelName = (typeof channelRegistry)['names'][number]

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

export interface Channel<N extends string = ChannelName> {
  name: N
  send(message: Message, ctx: SendContext): Promise<Sent>
}
