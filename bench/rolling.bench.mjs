#!/usr/bin/env node
// How deploy-atomic's cost grows with the fleet (issue 17): the whole step (the
// committed dist bundle, run as the runner runs it, process start included) over
// 2, 6 and 12 hosts of a real fleet — test/helpers/fleet.ts's hosts in network
// namespaces of their own, each with sshd and an app instance, behind HAProxy
// from Debian — for strategy `rolling` (batches of 2: drain, switch, gate each
// host, back in rotation) and `switch` (all at once; uploads 4 at a time, the
// bundle's fixed concurrency). One fleet of 12 serves every configuration: a
// deploy over N hosts names the first N, and for N < 12 the other servers of the
// backend keep the traffic (listed in `servers`: that is what lets rolling over
// 2 hosts be one batch of 2). Needs root, iproute2, util-linux, openssh-server, rsync and haproxy.
import './lib/ts-loader.mjs'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { runAction } from '../test/harness/runner.mjs'
import { fmt, median, repoRoot, writeSection } from './lib/util.mjs'

const { startFleet } = await import(join(repoRoot, 'test/helpers/fleet.ts'))

const loadStart = loadavg()
/** Another job on the machine (the CI run), by its command line. */
const ciRunning = () => spawnSync('pgrep', ['-f', 'ci/run']).status === 0
const ciAtStart = ciRunning()
const SIZES = [2, 6, 12]
const STRATEGIES = ['rolling', 'switch']
const BATCH = 2
const FILES = 200
const ROUNDS = Number(process.env.ROLLING_BENCH_ROUNDS ?? 3)
const GATE = { samples: '5', interval: '250ms' }

const root = mkdtempSync(join(tmpdir(), 'gantry-bench-rolling-'))
const src = join(root, 'src')
for (let d = 0; d < 10; d++) {
  mkdirSync(join(src, `d${d}`), { recursive: true })
  for (let f = 0; f < FILES / 10 - (d === 0 ? 1 : 0); f++)
    writeFileSync(join(src, `d${d}`, `f${f}.txt`), randomBytes(1024 * (1 + ((d * 20 + f) % 8))))
}
// The fleet app answers /healthz 200 while the current release has HEALTHY.
writeFileSync(join(src, 'HEALTHY'), '')

let fleet
const t0 = performance.now()
try {
  fleet = await startFleet({ hosts: Math.max(...SIZES), initialRelease: true, prefix: 'gbr' })
  const fleetStartMs = performance.now() - t0
  const haproxy = await fleet.startHaproxy()

  let seq = 0
  async function deploy(n, strategy) {
    const hosts = fleet.hosts.slice(0, n)
    // One changed file per deploy (the rest is linked to the previous release).
    writeFileSync(join(src, 'd0', 'version.txt'), `${++seq}\n`)
    const inputs = {
      source: src,
      path: fleet.commonPath,
      target: 'ssh',
      hosts: hosts.map((h) => `${h.name}=${h.sshTarget}`).join('\n'),
      'ssh-key': fleet.sshKey,
      'known-hosts': fleet.knownHosts,
      'release-id': `b${seq}`,
      strategy,
      ...(strategy === 'rolling'
        ? {
            'batch-size': String(BATCH),
            'host-health-url': 'http://{host}:8080/healthz',
            ...GATE,
            router: 'haproxy',
            upstream: 'app',
            'router-socket': haproxy.socket,
            // Every server of the backend (name=name, the haproxy default for the hosts named): the ones
            // not deployed keep the traffic, which is what allows a batch of every host named.
            servers: fleet.hosts.map((h) => `${h.name}=${h.name}`).join('\n')
          }
        : {})
    }
    const s = performance.now()
    const r = await runAction('deploy-atomic', { inputs })
    const ms = performance.now() - s
    if (r.code !== 0) throw new Error(`deploy-atomic ${strategy} over ${n} failed: ${r.stdout}`)
    return { ms, report: JSON.parse(readFileSync(r.outputs.report, 'utf8')), stdout: r.stdout }
  }

  // Every host gets a first release of the source (not timed): each timed deploy then links all but one file.
  await deploy(fleet.hosts.length, 'switch')
  const configs = SIZES.flatMap((n) => STRATEGIES.map((s) => ({ n, s, key: `${s}-${n}`, runs: [], reports: [] })))
  for (let round = 0; round < ROUNDS; round++) {
    // Each round in another order, so no configuration always runs first after the same one.
    const order = configs.map((c, i) => configs[(i + round * 2) % configs.length])
    for (const c of order) {
      const { ms, report } = await deploy(c.n, c.s)
      c.runs.push(ms)
      c.reports.push(report)
      console.log(`${c.key}: ${fmt(ms)} ms`)
    }
  }
  if (process.env.ROLLING_BENCH_DUMP) writeFileSync(process.env.ROLLING_BENCH_DUMP, JSON.stringify(configs, null, 1))
  await fleet.stop()
  writeSection('rolling', section(configs, fleetStartMs, ciRunning()))
} finally {
  await fleet?.stop()
  rmSync(root, { recursive: true, force: true })
}

function section(configs, fleetStartMs, ciAtEnd) {
  const loadEnd = loadavg()
  const c = (s, n) => configs.find((x) => x.s === s && x.n === n)
  const med = (x, f) => median(x.reports.map(f))
  const step = (x) => median(x.runs)
  const inProc = (x) => med(x, (r) => r.durationMs)
  const phase = (x, k) => med(x, (r) => r.timings[k] ?? 0)
  const unattributed = (x) => med(x, (r) => r.durationMs - Object.values(r.timings).reduce((a, b) => a + b, 0))
  const ok = (b) => (b ? '**met**' : '**not met**')
  const perHost = (st, f) => (f(c(st, 12)) - f(c(st, 2))) / 10
  const rows = configs
    .map((x) => {
      const mid = x.s === 'rolling' ? phase(x, 'rollout') : phase(x, 'switch')
      return `| ${x.s} | ${x.n} | ${x.s === 'rolling' ? x.n / BATCH : 1} | ${fmt(step(x))} ms | ${fmt(step(x) / step(c(x.s, 2)), 2)}× | ${fmt(inProc(x))} ms | ${fmt(phase(x, 'lock'))} | ${fmt(phase(x, 'prepare'))} | ${fmt(mid)} | ${fmt(phase(x, 'prune'))} | ${fmt(unattributed(x))} | ${fmt(step(x) - inProc(x))} |`
    })
    .join('\n')
  const batchRows = SIZES.map((n) => {
    const x = c('rolling', n)
    const batches = x.reports.flatMap((r) => r.rolling.batches)
    const perBatch = med(x, (r) => r.timings.rollout / r.rolling.batches.length)
    const drain = median(batches.map((b) => b.drainMs))
    return `| ${n} | ${n / BATCH} | ${fmt(perBatch)} ms | ${fmt(drain)} ms (max ${fmt(Math.max(...batches.map((b) => b.drainMs)))}) | ${fmt(median(batches.map((b) => b.gateP95)), 1)} ms | ${fmt(perBatch - drain)} ms |`
  }).join('\n')
  const rollRatio = step(c('rolling', 12)) / step(c('rolling', 2))
  const switchRatio = step(c('switch', 12)) / step(c('switch', 2))
  const l = (a) => a.map((v) => fmt(v, 2)).join(' / ')
  return `
## rolling: deploy-atomic's cost as the fleet grows

The whole deploy-atomic step: the committed \`dist/deploy-atomic/index.js\`, run by the test harness as the runner runs it (process start included), \`target: ssh\` to a fleet of ${Math.max(...SIZES)} hosts made for the run by \`test/helpers/fleet.ts\` (each host a network and mount namespace of its own with its own address on a bridge, OpenSSH's sshd and an app instance; HAProxy from Debian in front, runtime API socket; fleet up in ${fmt(fleetStartMs / 1000, 1)} s). A deploy over N hosts names the first N; the backend's other servers are listed in \`servers\` and keep the traffic (that is what makes rolling over 2 hosts with \`batch-size: 2\` one batch of 2, which a fleet of only 2 would refuse). Release: ${FILES} files (~0.9 MB), one file changed per deploy (the rest linked to the previous release); every host got a first release before the timing. \`rolling\`: \`batch-size: ${BATCH}\`, \`host-health-url: http://{host}:8080/healthz\`, a small per-host gate (\`samples: ${GATE.samples}\`, \`interval: ${GATE.interval}\`, so the 3 consecutive passes take at least 2 intervals), \`router: haproxy\`, no load on the router. \`switch\`: all at once, uploads 4 hosts at a time (the bundle's fixed upload concurrency; not raised here). Median of ${ROUNDS} run(s) per configuration, the configurations interleaved in a rotating order within each round.

Machine: load average (1/5/15 min) ${l(loadStart)} at the start, ${l(loadEnd)} at the end; another job (a CI run) was ${ciAtStart ? 'running' : 'not running'} at the start and ${ciAtEnd ? 'running' : 'not running'} at the end.

| strategy | hosts | batches | whole step | × same strategy over 2 | in-process (\`durationMs\`) | lock | prepare (upload, verify) | rollout / switch | prune | not in a phase | process start, ssh teardown |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows}

(Phases: the report's \`timings\`, ms. "Not in a phase": \`durationMs\` less the phases — per host, on up to 8 hosts at once (\`HOST_CONCURRENCY\`): the target's init (its ssh connection), reading its history, cleaning partials, reading \`current\` and the releases before the upload; the history written after the switch, the lock given back. \`lock\` is one try on every host at once (uncontended here). The switch itself stays one host after the other. "Process start, ssh teardown": the whole step less \`durationMs\`.)

Goals:
- rolling over 12 hosts in 6 batches of 2 ≤ 6.5× one batch of 2: ${fmt(rollRatio, 2)}×, ${ok(rollRatio <= 6.5)}.
- \`switch\` over 12 hosts ≤ 3× over 2, with the upload concurrency of 4: ${fmt(switchRatio, 2)}×, ${ok(switchRatio <= 3)}.

Where the growth goes, per host added from 2 to 12 (medians, ms per host): \`switch\` ${fmt(perHost('switch', step))} for the whole step, of which ${fmt(perHost('switch', unattributed))} outside any phase (the per-host ssh round trips before the upload and the history write after, up to 8 hosts at once), ${fmt(perHost('switch', (x) => phase(x, 'prepare')))} in prepare (uploads 4 at a time), ${fmt(perHost('switch', (x) => phase(x, 'switch')))} in the switch (one host after the other), ${fmt(perHost('switch', (x) => phase(x, 'lock')))} in lock and ${fmt(perHost('switch', (x) => phase(x, 'prune')))} in prune (up to 8 hosts at once); \`rolling\` ${fmt(perHost('rolling', step))} for the whole step, of which ${fmt(perHost('rolling', (x) => phase(x, 'rollout')))} in the rollout (${fmt(perHost('rolling', (x) => phase(x, 'rollout')) * BATCH)} per batch) and ${fmt(perHost('rolling', unattributed))} outside any phase. The fixed part, paid once per step whatever the fleet (process start, the source's manifest, the router read), is what keeps rolling's ratio under the number of batches. With the per-host steps made on several hosts at once, what \`switch\` still pays per host is mostly CPU: every ssh connection's handshake and every remote command's ssh and sh processes, on the runner and (in this fleet, on the same 2 cores) on the hosts' sshd — work that running hosts side by side overlaps with waiting, not with itself.

Per batch of the roll (median over every batch of the ${ROUNDS} run(s)):

| hosts | batches | rollout ÷ batches | drain (weights to 0, sessions at 0) | gate p95 (the batch's worst host) | the rest: switch of 2 hosts one after the other, gate (waits for 3 passes, then ${GATE.samples} samples), back in rotation |
| --- | --- | --- | --- | --- | --- |
${batchRows}
`
}
