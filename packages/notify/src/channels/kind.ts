/**
 * A notify channel as a registered kind (see @gantry/core kinds.ts): the
 * inputs only it reads, which are secrets, which are URLs whose tokens are
 * masked one by one, the combinations it refuses, and how to make its
 * channel(s): none when its inputs are not given. notify's main derives all
 * of that from the registry, so a new channel is its module plus one line in
 * registry.ts.
 */
import { fields, maskSecret, type FieldShape, type Kind, type ParsedInputs } from '@gantry/core'
import type { Channel } from './channel.js'

/** What a channel is told while it is made (core.warning in the action; a list in tests). */
export interface MakeContext {
  warning(message: string, title: string): void
}

export interface ChannelKind<N extends string, S extends FieldShape> extends Kind<
  S,
  object,
  MakeContext,
  Channel<N>[]
> {
  readonly name: N
  /**
   * Of its inputs, the URLs that carry a credential in their path or query:
   * a server's error may echo that token alone, so each long one is masked
   * by itself too.
   */
  readonly tokenUrls?: ReadonlyArray<keyof S & string>
  /** Further values to mask, derived from the secrets (e.g. a URL's user and password). */
  secretParts?(values: ParsedInputs<S>): Array<string | undefined>
}

/** Declares a channel kind, keeping its name and inputs as literal types. */
export function channelKind<const N extends string, const S extends FieldShape>(
  kind: ChannelKind<N, S>
): ChannelKind<N, S> {
  return kind
}

/**
 * An http(s) URL kept exactly as written: a webhook URL's secret is masked in
 * the form the user knows.
 */
export const webhookUrl = fields.urlText()

/** Masks each long path segment and query value of a URL (see ChannelKind.tokenUrls). */
export function maskUrlTokens(value: string | undefined): void {
  if (!value) return
  const u = new URL(value)
  for (const segment of u.pathname.split('/')) if (segment.length >= 16) maskSecret(decodeURIComponent(segment))
  for (const v of u.searchParams.values()) if (v.length >= 16) maskSecret(v)
}
