/** The traffic action's inputs: its own (names.ts) and every router kind's, as one schema. */
import { fields, optional, required, stringField, type Field, type ParsedInputs } from '@gantry/core'
import { HostError, parseHost } from '@gantry/release'
import { routerKinds } from './routers/registry.js'
import {
  SERVERS_FORM,
  WEIGHTS_FORM,
  WeightsError,
  parseDrain,
  parseServers,
  parseWeights,
  type Server,
  type WeightsSpec
} from './weights.js'

function parsed<T>(form: string, parse: (s: string) => T, empty?: () => T): Field<T> {
  return stringField((s, fail) => {
    if (s === '') return empty ? empty() : fail(`is required: expected ${form}`)
    try {
      return parse(s)
    } catch (e) {
      if (e instanceof WeightsError || e instanceof HostError) return fail(e.message)
      throw e
    }
  })
}

export const trafficFields = {
  servers: (): Field<Server[]> => parsed(SERVERS_FORM, parseServers),
  weights: (): Field<WeightsSpec> => parsed(WEIGHTS_FORM, parseWeights),
  drain: (): Field<string[]> => parsed('server names', parseDrain, () => []),
  host: (): Field<string | undefined> =>
    parsed(
      'user@host[:port]',
      (s) => {
        try {
          return parseHost(s).label
        } catch (e) {
          throw new HostError(`expected user@host[:port]: ${(e as Error).message}`)
        }
      },
      () => undefined
    )
}

/**
 * The bound of one router call when no `timeout` input is read (auto-rollback's
 * slot traffic, deploy-atomic's rolling): traffic's own default, which the
 * contract test checks against its action.yml.
 */
export const TRAFFIC_TIMEOUT_MS = 10_000

export const trafficInputs = {
  router: fields.oneOf(routerKinds.names),
  upstream: required(fields.string('an nginx upstream or HAProxy backend name')),
  servers: trafficFields.servers(),
  weights: trafficFields.weights(),
  drain: trafficFields.drain(),
  'drain-timeout': fields.duration(0, { timer: true }),
  'router-host': trafficFields.host(),
  'ssh-key': optional(fields.string()),
  'known-hosts': optional(fields.string()),
  path: required(fields.path()),
  verify: fields.boolean(),
  timeout: fields.duration(1, { timer: true }),
  reason: optional(fields.string()),
  ...routerKinds.inputs
}

export type TrafficValues = ParsedInputs<typeof trafficInputs>

/** Never echoed, masked in the log and in every file written. */
export const trafficSecrets = ['ssh-key', ...routerKinds.secrets]
