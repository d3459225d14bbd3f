/** The canary action's inputs: its own (names.ts), the router inputs of traffic, and each router's and metric source's own. */
import { InputError, fields, optional, required, stringField, type Field, type ParsedInputs } from '@gantry/core'
import { routerKinds, trafficFields, type TrafficValues } from '@gantry/traffic'
import { checkSource, sourceKinds } from './sources/registry.js'
import { StepsError, parseSteps } from './steps.js'

const steps = (): Field<number[]> =>
  stringField((s, fail) => {
    try {
      return parseSteps(s)
    } catch (e) {
      if (e instanceof StepsError) return fail(e.message)
      throw e
    }
  })

/** A probability strictly between 0 and 1, as a number (0.98) or a percentage (98%). */
const probability = (): Field<number> =>
  stringField((s, fail) => {
    const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(s.trim())
    const v = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN
    return v > 0 && v < 1 ? v : fail('expected a number strictly between 0 and 1, such as 0.98 (or 98%)')
  })

const score = (): Field<number> => fields.int(0, 100)

export const canaryInputs = {
  router: fields.oneOf(routerKinds.names),
  upstream: required(fields.string('an nginx upstream or HAProxy backend name')),
  servers: trafficFields.servers(),
  'router-host': trafficFields.host(),
  'ssh-key': optional(fields.string()),
  'known-hosts': optional(fields.string()),
  timeout: fields.duration(1, { timer: true }),
  'baseline-server': required(fields.string('the server (slot) name that serves now')),
  'canary-server': required(fields.string('the server (slot) name of the new release')),
  steps: steps(),
  bake: fields.duration(1, { timer: true }),
  analysis: fields.oneOf(sourceKinds.names),
  confidence: probability(),
  tolerance: fields.number(0, 'a number ≥ 0, such as 0.25'),
  'min-samples': fields.int(1, 10_000_000),
  'pass-score': score(),
  'marginal-score': score(),
  'on-inconclusive': fields.oneOf(['extend', 'fail', 'pass'] as const),
  'max-extensions': fields.int(0, 100),
  'guard-interval': fields.duration(1, { timer: true }),
  'guard-max-error-rate': fields.rate(),
  path: required(fields.path()),
  reason: optional(fields.string()),
  'fail-on-abort': fields.boolean(),
  ...routerKinds.inputs,
  ...sourceKinds.inputs
}

export type CanaryValues = ParsedInputs<typeof canaryInputs>

/** Never echoed, masked in the log and in every file written. */
export const canarySecrets = ['ssh-key', ...routerKinds.secrets, ...sourceKinds.secrets]

/**
 * The traffic values that move the canary's steps (traffic's session), with
 * the baseline at 100% as the weights checked up front: both servers must be
 * among `servers`.
 */
export function canaryTraffic(i: CanaryValues): TrafficValues {
  return {
    ...i,
    weights: { kind: 'set', weights: { [i['baseline-server']]: 100 } },
    drain: [],
    'drain-timeout': 0,
    verify: true
  } as unknown as TrafficValues
}

/** Every check that needs no router host and no network: one line naming the input, before anything moves. */
export function checkCanary(i: CanaryValues): void {
  const names = i.servers.map((s) => s.name)
  for (const input of ['baseline-server', 'canary-server'] as const)
    if (!names.includes(i[input]))
      throw new InputError(
        `Input '${input}' has invalid value '${i[input]}': it is not one of servers (${names.join(', ')}); expected a server name from servers`
      )
  if (i['baseline-server'] === i['canary-server'])
    throw new InputError(
      `Input 'canary-server' has invalid value '${i['canary-server']}': it is the baseline-server too; expected the other server (slot), the one with the new release`
    )
  if (i['marginal-score'] > i['pass-score'])
    throw new InputError(
      `Input 'marginal-score' has invalid value '${i['marginal-score']}': it is above pass-score ${i['pass-score']}; expected a score from 0 to ${i['pass-score']}`
    )
  checkSource(i)
}
