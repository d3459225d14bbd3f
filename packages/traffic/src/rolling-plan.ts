/**
 * deploy-atomic's `strategy: rolling` inputs: the batch size, the per-host
 * health URL template, and the router inputs of `traffic` (slotRouterInputs:
 * optional, as auto-rollback takes them). Every check that needs no host is
 * made by rollingValues() before any side effect; the ones that need the
 * router (every hosts name a server the router has, no batch that would drain
 * every server with traffic) by checkAgainstRouter(), on what the router
 * reads before anything changes.
 *
 * Servers: with haproxy, each hosts line's server name is the server's name in
 * the backend (`servers` derived as name=name); with command, name=<host part>;
 * with nginx the addresses are the app's `host:port`, which the hosts lines do
 * not say, so `servers` is required. A given `servers` is used as written and
 * must name every host's server.
 */
import { InputError, escapeCell, fields, stringField, table, type Field } from '@gantry/core'
import { parseHostLine, type Weights } from '@gantry/release'
import { TRAFFIC_TIMEOUT_MS, type TrafficValues } from './inputs.js'
import { batchesOf, drainWeights, type RollingRecord } from './rolling.js'
import { slotRouterInputs, type SlotRouterValues } from './slot-rollback.js'
import { checkTraffic } from './traffic.js'
import { formatWeights, toPercent, type Server } from './weights.js'

export const STRATEGIES = ['switch', 'rolling'] as const
export type Strategy = (typeof STRATEGIES)[number]

export const HOST_URL_FORM = 'an http(s) URL with {host} for each host, such as http://{host}:8080/healthz'

const hostUrlField = (): Field<string | undefined> =>
  stringField((s, fail) => {
    const t = s.trim()
    if (t === '') return undefined
    if (!t.includes('{host}')) return fail(`it has no {host}; expected ${HOST_URL_FORM}`)
    let u: URL
    try {
      u = new URL(t.replaceAll('{host}', 'host.invalid'))
    } catch {
      return fail(`expected ${HOST_URL_FORM}`)
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return fail(`expected ${HOST_URL_FORM}`)
    return t
  })

/** The inputs deploy-atomic adds for `strategy: rolling`. */
export const rollingInputs = {
  strategy: fields.oneOf(STRATEGIES),
  'batch-size': fields.int(1, 10_000),
  'host-health-url': hostUrlField(),
  ...slotRouterInputs
}

export type RollingInputValues = SlotRouterValues & {
  strategy: Strategy
  'batch-size': number
  'host-health-url'?: string
  target: string
  hosts: string[]
}

/** One host line's names. */
export interface RollingHost {
  line: string
  serverName: string
  hostAddress: string
}

export interface RollingPlan {
  /** The router's values, as the traffic action would take them (weights/drain unused). */
  traffic: TrafficValues
  hosts: RollingHost[]
  servers: Server[]
  batchSize: number
  hostHealthUrl: string
}

/**
 * The rolling plan, or undefined with `strategy: switch` (which then refuses the
 * rolling-only inputs it would ignore). One line naming the input on any mistake.
 */
export function rollingValues(v: RollingInputValues): RollingPlan | undefined {
  if (v.strategy !== 'rolling') {
    for (const name of ['router', 'host-health-url'] as const)
      if (v[name] !== undefined)
        throw new InputError(
          `Input '${name}' is only read with strategy: rolling (strategy is '${v.strategy}'); expected strategy: rolling, or no ${name}`
        )
    return undefined
  }
  const bad = (input: string, value: string, why: string) =>
    new InputError(`Input '${input}' has invalid value '${value}': ${why}`)
  if (v.target !== 'ssh')
    throw bad(
      'strategy',
      'rolling',
      `target is ${v.target}, one host with nothing to roll over; expected target: ssh with the fleet's hosts lines`
    )
  if (v.slot)
    throw bad(
      'strategy',
      'rolling',
      `slot '${v.slot}' is given, but a rolling deploy switches current host by host; expected no slot`
    )
  if (!v.router)
    throw new InputError(
      "Input 'router' is required when strategy is rolling: expected nginx, haproxy or command (the router in front of the hosts)"
    )
  if (!v.upstream)
    throw new InputError(
      "Input 'upstream' is required when strategy is rolling: expected the nginx upstream or HAProxy backend that holds the hosts"
    )
  if (!v['host-health-url'])
    throw new InputError(`Input 'host-health-url' is required when strategy is rolling: expected ${HOST_URL_FORM}`)

  const hosts: RollingHost[] = []
  for (const line of v.hosts) {
    let h
    try {
      h = parseHostLine(line)
    } catch (e) {
      throw new InputError(`Input 'hosts' has invalid value ${(e as Error).message}`)
    }
    const other = hosts.find((x) => x.serverName === h.serverName)
    if (other)
      throw bad(
        'hosts',
        line,
        `server name '${h.serverName}' is also ${other.line}'s; expected each host its own router server name (name=user@host)`
      )
    hosts.push({ line, serverName: h.serverName, hostAddress: h.host })
  }
  if (hosts.length < 2)
    throw bad(
      'strategy',
      'rolling',
      `hosts has ${hosts.length} line(s); expected two hosts or more behind the router (one host: strategy switch)`
    )

  let servers: Server[]
  if (v.servers) {
    servers = v.servers
    const missing = hosts.find((h) => !servers.some((s) => s.name === h.serverName))
    if (missing)
      throw bad(
        'servers',
        servers.map((s) => `${s.name}=${s.address}`).join('\\n'),
        `it has no server '${missing.serverName}' (${missing.line}); expected a name=address line for each host's server name`
      )
  } else if (v.router === 'nginx') {
    throw new InputError(
      "Input 'servers' is required when strategy is rolling with router nginx: expected name=host:port lines, one per hosts server name (the app's address nginx proxies to)"
    )
  } else {
    servers = hosts.map((h) => ({ name: h.serverName, address: v.router === 'haproxy' ? h.serverName : h.hostAddress }))
  }

  const batchSize = v['batch-size']
  const others = servers.filter((s) => !hosts.some((h) => h.serverName === s.name))
  if (batchSize >= hosts.length && others.length === 0)
    throw bad(
      'batch-size',
      String(batchSize),
      `a batch of every host (${hosts.length}) drains every server at once; expected a whole number from 1 to ${hosts.length - 1}`
    )

  const traffic = {
    ...v,
    upstream: v.upstream,
    servers,
    weights: { kind: 'set', weights: {} },
    drain: [],
    verify: false,
    timeout: TRAFFIC_TIMEOUT_MS,
    reason: undefined
  } as unknown as TrafficValues
  checkTraffic(traffic)
  return { traffic, hosts, servers, batchSize, hostHealthUrl: v['host-health-url'] }
}

/**
 * What the router reads before anything changes, checked against the plan: a
 * server per host, and traffic left on some server during every batch.
 */
export function checkAgainstRouter(
  plan: RollingPlan,
  read: Weights | undefined,
  router: string,
  /** The servers the router holds (Router.save): nginx reads a server its block lacks as 0%, not as missing. */
  held?: readonly string[]
): Weights {
  // A router-command is only heard after a change: the servers are taken to share the traffic evenly.
  const before =
    read ?? (router === 'command' ? toPercent(Object.fromEntries(plan.servers.map((s) => [s.name, 1]))) : undefined)
  if (!before)
    throw new InputError(
      `Input 'router' has invalid value '${router}': the router gives no weights to read before the roll (nginx: no upstream block in router-config yet), so a failure could not put it back as it was; expected a router already holding the hosts' servers`
    )
  const missing = plan.hosts.find((h) => !(h.serverName in before) || (held && !held.includes(h.serverName)))
  if (missing)
    throw new InputError(
      `Input 'hosts' has invalid value '${missing.line}': the router has no server '${missing.serverName}' in ${plan.traffic.upstream} (it has ${(held ?? Object.keys(before)).join(', ') || 'none'}); expected name=user@host with the router's server name`
    )
  for (const b of batchesOf(plan.hosts, plan.batchSize)) {
    try {
      drainWeights(
        before,
        b.map((h) => h.serverName)
      )
    } catch (e) {
      throw new InputError(`Input 'batch-size' has invalid value '${plan.batchSize}': ${(e as Error).message}`)
    }
  }
  return before
}

/** The job summary's rolling section: a row per batch, then each server's weight after. */
export function rollingSummary(r: RollingRecord, upstream: string): string {
  const rows = r.batches.map((b) => [
    b.index,
    b.servers.join(', '),
    b.drainMs === null ? '–' : `${b.drainMs} ms`,
    b.gateP95 === null ? '–' : `${b.gateP95} ms`,
    b.verdict === 'passed' ? '✅ passed' : `❌ failed: ${b.reason ?? ''}`
  ])
  const names = Object.keys(r.after ?? r.before ?? {})
  const fleet = names.map((n) => {
    const was = r.before?.[n]
    const now = r.after?.[n]
    return [
      n,
      now === undefined ? '?' : `${now}%`,
      was === undefined ? '?' : `${was}%`,
      now === undefined ? '?' : now > 0 ? 'in rotation' : 'no traffic'
    ]
  })
  const lines = [
    `#### Rolling over ${escapeCell(upstream)}: ${r.batches.filter((b) => b.verdict === 'passed').length} batch(es) passed`,
    '',
    table(['Batch', 'Hosts', 'Drain time', 'Gate p95', 'Verdict'], rows),
    '',
    `Fleet after (${formatWeights(r.after)}):`,
    '',
    table(['Server', 'Weight', 'Before', 'State'], fleet)
  ]
  if (r.restored !== undefined)
    lines.push(
      '',
      r.restored === false
        ? '⚠️ The router was NOT put back as it was before the deploy: check it.'
        : 'Every server was put back to its weight before the deploy.'
    )
  if (r.notSwitchedBack?.length) lines.push('', `⚠️ Not switched back: ${r.notSwitchedBack.join(', ')}`)
  if (r.leftOut?.length)
    lines.push(
      '',
      `⚠️ Left out of rotation (0%, drained): ${r.leftOut.join(', ')}, not switched back, on the release the other hosts marked bad; its own history cannot say so. The router's traffic.json records it; once a deploy has switched it, \`traffic\` with \`weights: previous\` puts it back.`
    )
  return lines.join('\n')
}
