#!/usr/bin/env node
// canary (issue 18, "Measured": abort) against the bare floor of each router, side by side in one
// run, with HAProxy 2.6 and nginx 1.22 from Debian on 127.0.0.1 in front of two app instances
// (slots/blue, the baseline, answering after 20 ms; slots/green, the canary, after 40 ms), started
// by the system tests' own helpers (test/helpers/traffic.ts and nginx.ts, through
// bench/lib/ts-loader.mjs); the include, what the bench reads back and the wait it copies are the
// package's own code (@gantry/traffic), so only the floors' commands are the bench's:
// - Gantry: the shipped bundle (dist/canary/index.js) run as the runner runs it (INPUT_* env,
//   test/harness/runner.mjs), steps 50%,100%, a 1 s bake with the probe source; the canary fails
//   its first judgement (latency high) and is aborted. The time is the report's `abortMs`, measured
//   in-process by runCanary from the failing judgement to the router's weights back at 100% on the
//   baseline (the change applied, read back from the router and recorded);
// - the floor: the same move (50/50 → baseline 100%) as a script does it without Gantry:
//   HAProxy, `set server app/blue weight 100` and `set server app/green weight 0`, one socat call
//   each; nginx, the include rewritten (temp file, rename) and `nginx -s reload`, without a wait,
//   and with the wait the action does (the master's workers read from /proc by the router's own
//   PROC_SCRIPT, until a new one runs and every old one is shutting down);
// each router idle, then under 16-connection autocannon keep-alive load through it.
import './lib/ts-loader.mjs'
import { execFile, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { runAction } from '../test/harness/runner.mjs'
import { fmt, median, repoRoot, writeSection } from './lib/util.mjs'

// TypeScript, through the loader: the system tests' apps, routers and load, and the package itself.
const { HAPROXY, startApp, startHaproxy, underLoad } = await import(join(repoRoot, 'test/helpers/traffic.ts'))
const { NGINX, startNginx } = await import(join(repoRoot, 'test/helpers/nginx.ts'))
const { PROC_SCRIPT, blockWeights, parseProcTable, parseServersState, parseUpstream, renderUpstream, stateWeights } =
  await import('@gantry/traffic')
const SOCAT = '/usr/bin/socat'

const RUNS = 7 // canary runs per router and condition (idle, under load); two floor moves after each
const CONNECTIONS = 16
const BASELINE_MS = 20
const CANARY_MS = 40

for (const bin of [NGINX, HAPROXY, SOCAT]) {
  if (!existsSync(bin)) {
    console.error(`bench canary: ${bin} not found (apt-get install -y nginx haproxy socat)`)
    process.exit(1)
  }
}

const run = promisify(execFile)
const ciBusy = () => spawnSync('pgrep', ['-f', 'ci/run'], { encoding: 'utf8' }).stdout.trim() !== ''
const loadStart = loadavg()[0]
const ciAtStart = ciBusy()
const startedAt = performance.now()
let loadMax = loadStart
setInterval(() => (loadMax = Math.max(loadMax, loadavg()[0])), 1000).unref()

const root = mkdtempSync(join(tmpdir(), 'gantry-bench-canary-'))
const stops = []
const stopAll = async () => {
  for (const s of stops.splice(0).reverse()) await s().catch(() => undefined)
}

let runNo = 0
/** One canary, as the runner runs it: aborted at its first judged step; returns the report's abortMs. */
async function canary(inputs, apps, readBack) {
  const r = await runAction('canary', {
    inputs: {
      ...inputs,
      'baseline-server': 'blue',
      'canary-server': 'green',
      'baseline-url': `http://${apps.blue.address}/`,
      'canary-url': `http://${apps.green.address}/`,
      steps: '50%,100%',
      bake: '1s',
      requests: '60',
      'min-samples': '30',
      'guard-interval': '5s',
      path: join(root, `app-${++runNo}`)
    },
    timeoutMs: 60_000
  })
  const report = r.outputs.report ? JSON.parse(readFileSync(r.outputs.report, 'utf8')) : undefined
  const back = await readBack()
  if (
    r.code !== 1 ||
    report?.verdict !== 'aborted' ||
    report.steps[0]?.outcome !== 'failed' ||
    typeof report.abortMs !== 'number' ||
    JSON.stringify(report.changes.at(-1)?.weights) !== JSON.stringify({ blue: 100, green: 0 }) ||
    back.blue !== 100 ||
    back.green !== 0
  )
    throw new Error(
      `canary run ${runNo}: not aborted at step 1 with the router back on blue (${r.code}, read back ${JSON.stringify(back)}): ${r.stdout.slice(-2000)}${r.stderr}`
    )
  rmSync(r.workDir, { recursive: true, force: true })
  return report.abortMs
}

/** RUNS canaries, each followed by two floor moves (set up to 50/50 untimed, then the timed move back). */
async function series(methods) {
  const out = { gantry: [], ...Object.fromEntries(Object.keys(methods.floors).map((k) => [k, []])) }
  for (let k = 0; k < RUNS; k++) {
    out.gantry.push(await methods.gantry())
    for (const [name, floor] of Object.entries(methods.floors))
      for (let j = 0; j < 2; j++) {
        await methods.half()
        out[name].push(await floor())
      }
  }
  return out
}

/** Both conditions for one router: idle, then under load through it. */
async function conditions(url, methods) {
  const idle = await series(methods)
  const loaded = await underLoad(url, CONNECTIONS, () => series(methods))
  return { idle, load: loaded.value, traffic: loaded.load }
}

const sh = (script, args) =>
  new Promise((resolve, reject) => {
    const t0 = performance.now()
    const c = spawn('sh', ['-c', script, 'sh', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    c.stdout.setEncoding('utf8').on('data', (d) => (out += d))
    c.stderr.setEncoding('utf8').on('data', (d) => (out += d))
    c.on('close', (code) => (code === 0 ? resolve({ ms: performance.now() - t0, out }) : reject(new Error(out))))
  })

let section
try {
  const blue = await startApp(root, 'blue')
  stops.push(blue.stop)
  await blue.behave({ delayMs: BASELINE_MS })
  const green = await startApp(root, 'green')
  stops.push(green.stop)
  await green.behave({ delayMs: CANARY_MS })
  const apps = { blue, green }

  // --- HAProxy -------------------------------------------------------------------
  const hdir = join(root, 'haproxy')
  mkdirSync(hdir)
  const haproxy = await startHaproxy(hdir, [
    { name: 'blue', address: blue.address, weight: 100 },
    { name: 'green', address: green.address, weight: 0 }
  ])
  stops.push(haproxy.stop)
  haproxy.url += '/'
  const hInputs = {
    router: 'haproxy',
    upstream: 'app',
    servers: 'blue=blue\ngreen=green',
    'router-socket': haproxy.socket,
    'router-state-file': haproxy.stateFile
  }
  const SET = `s=$1; shift; for c in "$@"; do echo "$c" | socat stdio "unix-connect:$s"; done`
  const hSet = (...commands) => sh(SET, [haproxy.socket, ...commands])
  // The read-back, parsed and turned into percentages as the router does it.
  const hServers = ['blue', 'green'].map((n) => ({ name: n, address: n }))
  const hRead = async () => stateWeights(parseServersState((await hSet('show servers state app')).out), 'app', hServers)
  const hMethods = {
    gantry: () => canary(hInputs, apps, hRead),
    half: () => hSet('set server app/blue weight 50', 'set server app/green weight 50'),
    floors: {
      socat: async () => (await hSet('set server app/blue weight 100', 'set server app/green weight 0')).ms
    }
  }
  // Warm-up (not timed): page cache of the bundle, the first history.
  await canary(hInputs, apps, hRead)
  const h = await conditions(haproxy.url, hMethods)
  console.log('haproxy', JSON.stringify(h))
  await haproxy.stop()

  // --- nginx ---------------------------------------------------------------------
  const include = join(root, 'gantry-app.conf')
  // The block as the action writes it, by the package's own renderer (its `keepalive 16;` is kept by every change).
  const nServers = ['blue', 'green'].map((n) => ({ name: n, address: apps[n].address }))
  const upstream = (w) => renderUpstream('app', nServers, w, ['keepalive 16;'])
  writeFileSync(include, upstream({ blue: 100, green: 0 }))
  // The system tests' nginx: master + one worker, its own prefix (made by the helper) and config.
  const nginx = await startNginx(
    `location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }`,
    { http: `include ${include};` }
  )
  stops.push(async () => {
    await nginx.stop()
    rmSync(nginx.prefix, { recursive: true, force: true })
  })
  nginx.url += '/'
  nginx.args = ['-p', nginx.prefix, '-c', nginx.conf]
  nginx.pid = nginx.process.pid
  const nInputs = {
    router: 'nginx',
    upstream: 'app',
    servers: `blue=${blue.address}\ngreen=${green.address}`,
    'router-config': include,
    'router-args': nginx.args.join(' ')
  }
  // The include read back, parsed and turned into percentages as the router does it.
  const nRead = async () => blockWeights(parseUpstream(readFileSync(include, 'utf8'), 'app'), nServers)
  const rewrite = (w) => {
    writeFileSync(`${include}.tmp`, upstream(w))
    renameSync(`${include}.tmp`, include)
  }
  const reload = () => run(NGINX, [...nginx.args, '-s', 'reload'], { timeout: 10_000 })
  /** The master's children, pid → title, read from /proc as the action reads them (the router's PROC_SCRIPT). */
  const workers = async () => {
    const { stdout } = await run('sh', ['-c', PROC_SCRIPT]).catch((e) => e)
    return new Map(
      parseProcTable(stdout ?? '')
        .filter((p) => p.ppid === nginx.pid)
        .map((p) => [p.pid, p.title])
    )
  }
  /** The action's wait: a new worker runs and every old one is shutting down (10 ms polls). */
  const settled = async (before) => {
    for (const end = performance.now() + 10_000; ;) {
      const now = await workers()
      const fresh = [...now.keys()].some((p) => !before.has(p))
      if (fresh && [...now].filter(([p]) => before.has(p)).every(([, t]) => /shutting down/.test(t))) return
      if (performance.now() > end) throw new Error('nginx: no new worker within 10 s')
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  const move = async (w, wait) => {
    const before = wait ? await workers() : undefined
    const t0 = performance.now()
    rewrite(w)
    await reload()
    if (before) await settled(before)
    return performance.now() - t0
  }
  const nMethods = {
    gantry: () => canary(nInputs, apps, nRead),
    // Set up with the wait, so a bare reload never coalesces with the one before it.
    half: () => move({ blue: 50, green: 50 }, true),
    floors: {
      reload: () => move({ blue: 100, green: 0 }, false),
      reloadWait: () => move({ blue: 100, green: 0 }, true)
    }
  }
  await canary(nInputs, apps, nRead)
  const n = await conditions(nginx.url, nMethods)
  console.log('nginx', JSON.stringify(n))
  await stopAll()

  // --- the section -----------------------------------------------------------------
  const loadEnd = loadavg()[0]
  const ciAtEnd = ciBusy()
  const totalS = (performance.now() - startedAt) / 1000
  const range = (xs, d = 0) => `${fmt(Math.min(...xs), d)}–${fmt(Math.max(...xs), d)}`
  const x = (a, b) => `${fmt(a / b, 2)}×`
  const verdict = (ok) => (ok ? '✅ met' : '❌ missed')
  const row = (label, xs, floor, d = 0) =>
    `| ${label} | ${fmt(median(xs), d)} ms | ${range(xs, d)} ms | ${x(median(xs), median(floor))} |`
  const machine = `${cpus().length}-core machine, Node ${process.version}; 1-minute load average ${fmt(loadStart, 1)} when the run started, ${fmt(loadMax, 1)} at most and ${fmt(loadEnd, 1)} at its end; ${ciAtStart || ciAtEnd ? `**a CI run (\`.ci/run\`) was running ${ciAtStart && ciAtEnd ? 'throughout' : ciAtStart ? 'when it started' : 'when it ended'}**` : 'no CI run (`.ci/run`) at its start or end'}; the whole bench took ${fmt(totalS)} s.`
  const traffic = (t) =>
    `${t.total.toLocaleString('en')} requests, ${t.non2xx} non-2xx, ${t.timeouts} timeouts, ${t.errors - t.timeouts} resets`
  const all = (r) => [...r.idle.gantry, ...r.load.gantry]
  section = `## canary — abort time through HAProxy and nginx

From the failing judgement to all traffic back on the baseline: the report's \`abortMs\`, measured in-process by runCanary around the one router change of the abort (applied, read back from the router — \`verify\` — and recorded in \`.gantry/traffic.json\`). Gantry is the committed bundle \`dist/canary/index.js\` run as the runner runs it (\`INPUT_*\` environment, test/harness/runner.mjs) with \`steps: 50%,100%\`, a 1 s bake and the probe source (60 request pairs) against two app instances on 127.0.0.1 (the system tests' own, run from \`slots/blue\` and \`slots/green\`; the baseline answering after ${BASELINE_MS} ms, the canary after ${CANARY_MS} ms): every run fails its first judgement (latency high) and the bench checks the report (aborted at step 1, the last change \`blue=100, green=0\`) and the router itself (HAProxy's \`show servers state app\`, nginx's include). The floor is the same move (50/50 → the baseline at 100%) without Gantry, after each canary run, twice: HAProxy (2.6 from Debian, runtime API on a unix socket), \`set server app/blue weight 100\` and \`set server app/green weight 0\`, one \`socat\` call each, in one \`sh\`; nginx (1.22 from Debian, one worker), the include rewritten (temp file, rename) and \`nginx -s reload\`, which only signals the master and returns before the new weights are live, and the same with the wait the action does (the master's workers read from \`/proc\` by the router's own script every 10 ms until a new worker runs and every old one is shutting down) — the like-for-like floor. ${RUNS} canary runs and ${2 * RUNS} floor moves per router, idle, then the same under ${CONNECTIONS}-connection autocannon keep-alive load through the router. ${machine}

### HAProxy (${RUNS} aborts per condition)

| condition, method | median | range | vs floor |
| --- | --- | --- | --- |
${row('idle, floor: 2 × `socat` set weight', h.idle.socat, h.idle.socat, 1)}
${row('idle, Gantry abort (`abortMs`)', h.idle.gantry, h.idle.socat)}
${row('under load, floor: 2 × `socat` set weight', h.load.socat, h.load.socat, 1)}
${row('under load, Gantry abort (`abortMs`)', h.load.gantry, h.load.socat)}

The abort is one traffic change: Gantry reads \`show servers state app\` for the weights before, the snapshot a refused command would be undone from and the read-back, sends \`state ready\`/\`weight 100\` to the baseline and \`weight 0\` to the canary (each command on its own connection), writes the server-state-file and the history. Load during the loaded series: ${traffic(h.traffic)}.

### nginx (${RUNS} aborts per condition)

| condition, method | median | range | vs floor without wait | vs floor with the wait |
| --- | --- | --- | --- | --- |
${[
  ['idle', n.idle],
  ['under load', n.load]
]
  .map(([c, r]) =>
    [
      ['floor: include rewritten, `nginx -s reload`', r.reload],
      ['floor with the wait for the new worker', r.reloadWait],
      ['Gantry abort (`abortMs`)', r.gantry]
    ]
      .map(
        ([label, xs]) =>
          `| ${c}, ${label} | ${fmt(median(xs))} ms | ${range(xs)} ms | ${x(median(xs), median(r.reload))} | ${x(median(xs), median(r.reloadWait))} |`
      )
      .join('\n')
  )
  .join('\n')}

Gantry's change also runs \`nginx -T\` (the test, printing the configuration to find the pid file) before the reload, reads the include back and writes the history. Load during the loaded series: ${traffic(n.traffic)} (resets are nginx's reload racing keep-alive reuse, as in the traffic section).

| Goal | Result | Verdict |
| --- | --- | --- |
| HAProxy: from the failing judgement to 100% on the baseline ≤ 100 ms (every run) | ${range(all(h))} ms (median idle ${fmt(median(h.idle.gantry))} ms, under load ${fmt(median(h.load.gantry))} ms) | ${verdict(Math.max(...all(h)) <= 100)} |
| nginx: the same ≤ 1 s (every run) | ${range(all(n))} ms (median idle ${fmt(median(n.idle.gantry))} ms, under load ${fmt(median(n.load.gantry))} ms) | ${verdict(Math.max(...all(n)) <= 1000)} |
`
} finally {
  await stopAll()
  rmSync(root, { recursive: true, force: true })
}
writeSection('canary', section)
