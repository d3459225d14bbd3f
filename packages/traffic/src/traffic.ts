/**
 * One traffic change: check everything (inputs, then the router host's
 * files and sockets), read the router's weights, apply the new ones, read
 * them back (verify), and record the change with the weights before it in
 * `<path>/.gantry/traffic.json` on the router host. `weights: previous`
 * applies the weights before the most recent recorded change and records that
 * as a change of its own, so applying it twice toggles back.
 */
import { InputError, UserError, maskSecret } from '@gantry/core'
import {
  SessionError,
  SshSession,
  SshTarget,
  acquireLock,
  checkCredentials,
  lockSettings,
  currentWeights,
  parseHost,
  previousWeights,
  readTraffic,
  recordTraffic,
  type TrafficChange,
  type TrafficHistory,
  type Weights
} from '@gantry/release'
import { LocalHost, SshHost, type RouterHost } from './host.js'
import type { TrafficValues } from './inputs.js'
import type { Router, RouterContext } from './router.js'
import { checkRouter, makeRouter } from './routers/registry.js'
import { changesOf } from './summary.js'
import { formatWeights, resolveWeights, sameWeights } from './weights.js'

export interface TrafficOptions {
  log: (line: string) => void
  warn: (line: string) => void
  progress: RouterContext['progress']
  env?: NodeJS.ProcessEnv
  /** Where the ssh key is written (RUNNER_TEMP). */
  tempRoot?: string
}

export interface TrafficResult {
  router: string
  upstream: string
  host: string
  /** The weights now in place (every server of `servers`). */
  weights: Weights
  /** What the router had before (read back), else the last recorded weights. */
  previous: Weights
  drained: string[]
  verified: boolean | 'not-readable'
  change: TrafficChange
  history: TrafficHistory
  store: string
}

/** Every check that needs no router host: one line naming the input, before anything is touched. */
export function checkTraffic(i: TrafficValues): void {
  checkRouter(i)
  if (i['router-host']) {
    try {
      checkCredentials(i['ssh-key'], i['known-hosts'])
    } catch (e) {
      if (e instanceof SessionError)
        throw new InputError(e.message.replace('when target is ssh', 'when router-host is given'))
      throw e
    }
  }
  if (i.weights.kind === 'set')
    resolveWeights(i.weights.weights, i.servers, i.drain, { input: 'weights', value: formatWeights(i.weights.weights) })
}

export function makeHost(i: TrafficValues, o: TrafficOptions): RouterHost {
  if (!i['router-host']) return new LocalHost(i.path)
  const host = parseHost(i['router-host'])
  // The runner masks a multi-line secret line by line only when told each line.
  for (const line of i['ssh-key']!.split(/\r?\n/)) if (!/^-----/.test(line.trim())) maskSecret(line.trim())
  const session = new SshSession({
    key: i['ssh-key']!,
    knownHosts: i['known-hosts']!,
    tempRoot: o.tempRoot,
    warn: o.warn
  })
  const target = new SshTarget({ host, base: i.path, session, index: 0, log: o.log, opTimeoutMs: 120_000 })
  return new SshHost(host.label, target)
}

export async function runTraffic(i: TrafficValues, o: TrafficOptions): Promise<TrafficResult> {
  checkTraffic(i)
  const env = o.env ?? process.env
  const host = makeHost(i, o)
  try {
    const router = makeRouter(i, {
      host,
      timeoutMs: i.timeout,
      drainTimeoutMs: i['drain-timeout'],
      log: o.log,
      warn: o.warn,
      progress: o.progress
    })
    await router.preflight()
    // The deploy lock of `path` (deploy-atomic's): one change at a time on this router and its
    // history, and none while a deploy to the same root runs.
    await host.prepareStore()
    const lock = await acquireLock([host.store], `traffic ${i.upstream}`, { ...lockSettings(env), log: o.log })
    try {
      return await locked(i, o, env, host, router)
    } finally {
      await lock.release()
    }
  } finally {
    await host.close()
  }
}

async function locked(
  i: TrafficValues,
  o: TrafficOptions,
  env: NodeJS.ProcessEnv,
  host: RouterHost,
  router: Router
): Promise<TrafficResult> {
  const history = await readTraffic(host.store)
  // `previous` and the fallback for `before` are this upstream's: one path may keep several.
  const mine = { version: 1 as const, changes: changesOf(history, i.upstream) }

  let target: Weights
  if (i.weights.kind === 'previous') {
    const prev = previousWeights(mine)
    if (!prev || Object.keys(prev).length === 0)
      throw new InputError(
        `Input 'weights' has invalid value 'previous': ${host.store.name} has no recorded change of upstream '${i.upstream}' to go back from (.gantry/traffic.json ${mine.changes.length ? 'records no weights before its last change' : 'is empty or absent'}); expected explicit weights such as blue=100`
      )
    target = resolveWeights(prev, i.servers, i.drain, {
      input: 'weights',
      value: `previous (${formatWeights(prev)})`
    })
  } else {
    target = resolveWeights(i.weights.weights, i.servers, i.drain, {
      input: 'weights',
      value: formatWeights(i.weights.weights)
    })
  }

  const before = (await router.read()) ?? currentWeights(mine) ?? {}
  o.log(`${i.router} ${i.upstream} on ${host.name}: ${formatWeights(before)} -> ${formatWeights(target)}`)
  await router.apply(target, i.drain)

  let verified: TrafficResult['verified'] = false
  if (i.verify) {
    const after = await router.read()
    if (after === undefined) {
      verified = 'not-readable'
      o.warn(
        `verify: the ${i.router} router gave no weights to read back (a router-command can print {"weights":{…}} on stdout); the change is recorded as applied`
      )
    } else if (!sameWeights(after, target)) {
      throw new UserError(
        `verify: the router reads back ${formatWeights(after)} after the change, expected ${formatWeights(target)}; nothing was recorded`
      )
    } else verified = true
  }

  const server = env.GITHUB_SERVER_URL || 'https://github.com'
  const change: TrafficChange = {
    at: new Date().toISOString(),
    router: i.router,
    upstream: i.upstream,
    weights: target,
    previous: before,
    ...(i.drain.length ? { drained: i.drain } : {}),
    ...(i.reason || i.weights.kind === 'previous' ? { reason: i.reason ?? 'weights: previous' } : {}),
    ...(env.GITHUB_ACTOR ? { actor: env.GITHUB_ACTOR } : {}),
    ...(env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY
      ? { run: `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` }
      : {})
  }
  if (i.weights.kind === 'previous' && i.reason) change.reason = `weights: previous; ${i.reason}`
  const recorded = await recordTraffic(host.store, change)
  return {
    router: i.router,
    upstream: i.upstream,
    host: host.name,
    weights: target,
    previous: before,
    drained: i.drain,
    verified,
    change,
    history: recorded,
    store: host.store.name
  }
}
