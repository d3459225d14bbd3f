/**
 * Sends one message to every configured channel in parallel. A channel's
 * failure is its own result and never stops or hides the others.
 */
import { EnvHttpProxyAgent } from 'undici'
import { performance } from 'node:perf_hooks'
import { deliver, defaultPolicy, type DeliveryPolicy } from './delivery.js'
import type { Channel, ChannelName } from './channels/channel.js'
import type { Message } from './message.js'

export interface ChannelResult {
  channel: ChannelName
  ok: boolean
  /** "HTTP 200", "chat.update ok", or the error. */
  detail: string
  attempts: number
  durationMs: number
  slackTs?: string
}

export interface NotifyOptions {
  policy?: Partial<DeliveryPolicy>
  onRetry?: (channel: ChannelName, message: string, attempt: number, delayMs: number) => void
}

export async function notifyAll(
  message: Message,
  channels: Channel[],
  o: NotifyOptions = {}
): Promise<ChannelResult[]> {
  const policy = { ...defaultPolicy, ...o.policy }
  // One pool for the step, closed at the end so no socket outlives it. Like
  // @actions/http-client, it honours HTTP(S)_PROXY / NO_PROXY (self-hosted
  // runners behind a proxy) and never proxies localhost, 127.0.0.1 or [::1].
  const dispatcher = new EnvHttpProxyAgent({
    keepAliveTimeout: 5_000,
    connections: 4,
    noProxy: [process.env.no_proxy ?? process.env.NO_PROXY, 'localhost', '127.0.0.1', '[::1]'].filter(Boolean).join(',')
  })
  try {
    return await Promise.all(
      channels.map(async (ch): Promise<ChannelResult> => {
        const start = performance.now()
        const onRetry = (msg: string, attempt: number, delay: number) => o.onRetry?.(ch.name, msg, attempt, delay)
        try {
          const sent = await ch.send(message, {
            policy,
            dispatcher,
            onRetry,
            deliver: (attempt) => deliver(attempt, policy, (e, n, d) => onRetry(e.message, n, d))
          })
          return {
            channel: ch.name,
            ok: true,
            detail: sent.detail,
            attempts: sent.attempts,
            durationMs: performance.now() - start,
            ...(sent.slackTs ? { slackTs: sent.slackTs } : {})
          }
        } catch (e) {
          const attempts = (e as { attempts?: number }).attempts ?? 1
          return {
            channel: ch.name,
            ok: false,
            detail: e instanceof Error ? e.message : String(e),
            attempts,
            durationMs: performance.now() - start
          }
        }
      })
    )
  } finally {
    await dispatcher.close()
  }
}

/** The `sent` output: each configured channel → "ok" or its error. */
export function sentOutput(results: ChannelResult[]): Record<string, string> {
  return Object.fromEntries(results.map((r) => [r.channel, r.ok ? 'ok' : r.detail]))
}
