/**
 * The `probe` source as a kind: equal request samples sent at the same moment
 * to `baseline-url` and `canary-url` (probe-source.ts), judged on latency and
 * on the share of 5xx and transport failures.
 */
import { InputError, fields, optional } from '@gantry/core'
import { PROBE_METRICS, probeSource } from '../probe-source.js'
import type { SourceKindOf } from './kind.js'

const inputs = {
  'baseline-url': optional(fields.url()),
  'canary-url': optional(fields.url()),
  // Not given ('' in action.yml) unless analysis is probe, so another source is not refused for it: PROBE_REQUESTS then.
  requests: optional(fields.int(1, 1_000_000))
}

/** Requests per variant per window when `requests` is not given. */
export const PROBE_REQUESTS = 200

export const probeKind = {
  name: 'probe' as const,
  inputs,
  secrets: [],
  check(v) {
    for (const name of ['baseline-url', 'canary-url'] as const)
      if (!v[name])
        throw new InputError(
          `Input '${name}' is required when analysis is probe: expected the ${name === 'baseline-url' ? 'baseline' : 'canary'}'s direct http(s) URL (not through the router)`
        )
    if (v['baseline-url']!.href === v['canary-url']!.href)
      throw new InputError(
        `Input 'canary-url' has invalid value '${v['canary-url']!.href}': it is the baseline-url too; expected the canary's own direct URL`
      )
    // Extensions add their points to the bake's: the most a step can gather.
    const requests = v.requests ?? PROBE_REQUESTS
    const most = requests * (1 + v['max-extensions'])
    if (most < v['min-samples'])
      throw new InputError(
        `Input 'requests' has invalid value '${requests}': ${requests} per window × ${1 + v['max-extensions']} window(s) (max-extensions ${v['max-extensions']}) never reaches min-samples ${v['min-samples']}; expected at least ${Math.ceil(v['min-samples'] / (1 + v['max-extensions']))}`
      )
  },
  make: (v, ctx) =>
    probeSource({
      baselineUrl: v['baseline-url']!,
      canaryUrl: v['canary-url']!,
      requests: v.requests ?? PROBE_REQUESTS,
      timeoutMs: v.timeout,
      client: ctx.client
    })
} satisfies SourceKindOf<typeof inputs>

export { PROBE_METRICS }
