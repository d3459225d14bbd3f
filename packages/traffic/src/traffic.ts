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
  const session = await openTraffic(i, o, `traffic ${i.upstream}`)
  try {
    const mine = await session.history()
    let target: Weights
    if (i.weights.kind === 'previous') {
      const prev = previousWeights(mine)
      if (!prev || Object.keys(prev).length === 0)
        throw new InputError(
          `Input 'weights' has invalid value 'previous': ${session.host.store.name} has no recorded change of upstream '${i.upstream}' to go back from (.gantry/traffic.json ${mine.changes.length ? 'records no weights before its last change' : 'is empty or absent'}); expected explicit weights such as blue=100`
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
    let reason = i.reason
    if (i.weights.kind === 'previous') reason = i.reason ? `weights: previous; ${i.reason}` : 'weights: previous'
    const applied = await session.change(target, { drain: i.drain, reason, verify: i.verify })
    return {
      router: i.router,
      upstream: i.upstream,
      host: session.host.name,
      weights: target,
      previous: applied.change.previous,
      drained: i.drain,
      verified: applied.verified,
      change: applied.change,
      history: applied.history,
      store: session.host.store.name
    }
  } finally {
    await session.close()
  }
}

/** One router, held under the deploy lock of `path` for a series of changes (traffic's one, a canary's steps). */
export interface TrafficSession {
  readonly host: RouterHost
  readonly router: Router
  /** This upstream's recorded changes (one path may keep several upstreams). */
  history(): Promise<TrafficHistory>
  /** Reads the weights before, applies `target`, reads it back (verify), records the change. */
  change(
    target: Weights,
    c: { drain?: readonly string[]; reason?: string; verify: boolean }
  ): Promise<{ change: TrafficChange; history: TrafficHistory; verified: TrafficResult['verified'] }>
  /** Gives the lock back and closes the router host. */
  close(): Promise<void>
}

/**
 * Checks, reaches the router host, runs the router's preflight and takes the
 * deploy lock of `path` (deploy-atomic's: one change at a time on this router
 * and its history, and none while a deploy to the same root runs).
 */
export async function openTraffic(i: TrafficValues, o: TrafficOptions, purpose: string): Promise<TrafficSession> {
  checkTraffic(i)
  const env = o.env ?? process.env
  const host = makeHost(i, o)
  let lock: Awaited<ReturnType<typeof acquireLock>> | undefined
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
    await host.prepareStore()
    lock = await acquireLock([host.store], purpose, { ...lockSettings(env), log: o.log })
    const held = lock
    const server = env.GITHUB_SERVER_URL || 'https://github.com'
    const history = async (): Promise<TrafficHistory> => ({
      version: 1,
      changes: changesOf(await readTraffic(host.store), i.upstream)
    })
    return {
      host,
      router,
      history,
      async change(target, c) {
        const before = (await router.read()) ?? currentWeights(await history()) ?? {}
        o.log(`${i.router} ${i.upstream} on ${host.name}: ${formatWeights(before)} -> ${formatWeights(target)}`)
        const drain = c.drain ?? []
        await router.apply(target, drain)
        let verified: TrafficResult['verified'] = false
        if (c.verify) {
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
        const change: TrafficChange = {
          at: new Date().toISOString(),
          router: i.router,
          upstream: i.upstream,
          weights: target,
          previous: before,
          ...(drain.length ? { drained: [...drain] } : {}),
          ...(c.reason ? { reason: c.reason } : {}),
          ...(env.GITHUB_ACTOR ? { actor: env.GITHUB_ACTOR } : {}),
          ...(env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY
            ? { run: `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` }
            : {})
        }
        return { change, history: await recordTraffic(host.store, change), verified }
      },
      async close() {
        try {
          await held.release()
        } finally {
          await host.close()
        }
      }
    }
  } catch (e) {
    try {
      await lock?.release()
    } finally {
      await host.close()
    }
    throw e
  }
}
