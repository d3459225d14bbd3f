#!/usr/bin/env node
// traffic (issue 16, "Measured") against the bare floor of each router, side
// by side in one run, with nginx 1.22 and HAProxy 2.6 from Debian on
// 127.0.0.1 in front of two app instances (slots/blue and slots/green),
// started by the system tests' own helpers (test/helpers/traffic.ts and
// nginx.ts, through bench/lib/ts-loader.mjs); what the bench reads back and
// the wait it copies are the package's own code (@gantry/traffic), so only
// the floors' commands are the bench's:
// 1. a blue-green switch (100% from blue to green, and back), confirmed by the
//    router's read-back: the shipped bundle (dist/traffic/index.js) run as the
//    runner runs it (INPUT_* env, test/harness/runner.mjs), in-process (the
//    report's durationMs) and the whole step with Node's start, against
//    - HAProxy: `set server app/<s> weight N` ×2 through socat and one
//      `show servers state app` read-back;
//    - nginx: the include rewritten (temp file + rename), then
//      `nginx -t && nginx -s reload`, without a wait, and with the wait the
//      action does (the master's workers read from /proc by the router's own
//      PROC_SCRIPT, until a new one runs and every old one is shutting down);
// 2. failed requests during 50 switches under 16-connection autocannon load:
//    HAProxy (goal 0), nginx against 50 bare `nginx -t && nginx -s reload` at
//    the same load and pace.
import './lib/ts-loader.mjs'
import { execFile, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { runAction } from '../test/harness/runner.mjs'
import { fmt, median, repoRoot, writeSection } from './lib/util.mjs'

// TypeScript, through the loader: the system tests' routers and load, and the package itself.
const {
  HAPROXY,
  startApp,
  startHaproxy,
  underLoad: loadWhile
} = await import(join(repoRoot, 'test/helpers/traffic.ts'))
const { NGINX, startNginx } = await import(join(repoRoot, 'test/helpers/nginx.ts'))
const { PROC_SCRIPT, parseProcTable, parseServersState, renderUpstream } = await import('@gantry/traffic')
const SOCAT = '/usr/bin/socat'

/** The helpers' load, timed: from the first change to the last. */
async function underLoad(url, connections, work) {
  const t0 = performance.now()
  const { load, value } = await loadWhile(url, connections, work)
  return { value, ms: performance.now() - t0, load }
}

const ROUNDS = 7 // timing: each method switches blue → green and back in every round (14 changes each)
const SWITCHES = 50 // under load, per run
const LOAD_RUNS = 2
const CONNECTIONS = 16

for (const bin of [NGINX, HAPROXY, SOCAT]) {
  if (!existsSync(bin)) {
    console.error(`bench traffic: ${bin} not found (apt-get install -y nginx haproxy socat)`)
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

const root = mkdtempSync(join(tmpdir(), 'gantry-bench-traffic-'))
const stops = []
const stopAll = async () => {
  for (const s of stops.splice(0).reverse()) await s().catch(() => undefined)
}

/** One traffic step, as the runner runs it; returns the whole step's time and the report's durationMs. */
async function step(inputs, weights) {
  const t0 = performance.now()
  const r = await runAction('traffic', { inputs: { ...inputs, weights }, timeoutMs: 60_000 })
  const ms = performance.now() - t0
  if (r.code !== 0) throw new Error(`traffic ${weights} failed (${r.code}): ${r.stdout.slice(-1500)}${r.stderr}`)
  const report = JSON.parse(readFileSync(r.outputs.report, 'utf8'))
  const want = weights === 'green' ? { blue: 0, green: 100 } : { blue: 100, green: 0 }
  if (report.verified !== true || JSON.stringify(report.weights) !== JSON.stringify(want))
    throw new Error(`traffic ${weights}: not verified as ${JSON.stringify(want)}: ${JSON.stringify(report)}`)
  rmSync(r.workDir, { recursive: true, force: true })
  return { ms, inProcess: report.durationMs }
}

/** Per method, per change: the samples; rotated order inside each round, as deploy-atomic does. */
async function timeRounds(methods) {
  const out = Object.fromEntries(Object.keys(methods).map((k) => [k, []]))
  const names = Object.keys(methods)
  for (let round = 0; round < ROUNDS; round++) {
    const order = names.slice(round % names.length).concat(names.slice(0, round % names.length))
    for (const who of order) for (const to of ['green', 'blue']) out[who].push(await methods[who](to))
  }
  return out
}

const med = (xs, key) => median(xs.map((x) => (key ? x[key] : x)))

// --- the two app instances -----------------------------------------------------
let section
try {
  const blue = await startApp(root, 'blue')
  stops.push(blue.stop)
  const green = await startApp(root, 'green')
  stops.push(green.stop)
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
    'router-state-file': haproxy.stateFile,
    path: join(root, 'haproxy-app')
  }
  // The floor: what a script does without Gantry, one runtime API command per socat call.
  const HFLOOR = `s=$1; gain=$2; lose=$3
echo "set server app/$gain weight 100" | socat stdio "unix-connect:$s"
echo "set server app/$lose weight 0" | socat stdio "unix-connect:$s"
echo "show servers state app" | socat stdio "unix-connect:$s"`
  const hFloor = (to) =>
    new Promise((resolve, reject) => {
      const from = to === 'green' ? 'blue' : 'green'
      const t0 = performance.now()
      const c = spawn('sh', ['-c', HFLOOR, 'sh', haproxy.socket, to, from], { stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      c.stdout.setEncoding('utf8').on('data', (d) => (out += d))
      c.on('close', (code) => {
        const ms = performance.now() - t0
        // The read-back (checked, not timed: the floor is the shell script), parsed as the router parses it.
        const w = {}
        try {
          for (const st of parseServersState(out.slice(out.indexOf('1\n# be_id'))))
            if (st.backend === 'app') w[st.name] = st.uweight
        } catch {
          // not an answer: the check below says so
        }
        if (code !== 0 || w[to] !== 100 || w[from] !== 0)
          return reject(new Error(`haproxy floor to ${to}: exit ${code}, read back ${JSON.stringify(w)}: ${out}`))
        resolve({ ms })
      })
    })
  // Warm-up (not timed): the first history, page cache of the bundle.
  await step(hInputs, 'green')
  await step(hInputs, 'blue')
  const hTimes = await timeRounds({
    gantry: (to) => step(hInputs, to),
    gantryNoState: (to) => step({ ...hInputs, 'router-state-file': '' }, to),
    floor: hFloor
  })
  console.log('haproxy timing', JSON.stringify(hTimes))

  // --- nginx ---------------------------------------------------------------------
  const prefix = join(root, 'nginx')
  mkdirSync(prefix)
  const include = join(root, 'gantry-app.conf')
  // The block as the action writes it, by the package's own renderer (its `keepalive 16;` is kept by every change).
  const servers = ['blue', 'green'].map((n) => ({ name: n, address: apps[n].address }))
  const upstream = (to) => renderUpstream('app', servers, { [to]: 100 }, ['keepalive 16;'])
  writeFileSync(include, upstream('blue'))
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
    'router-args': nginx.args.join(' '),
    path: join(root, 'nginx-app')
  }
  const NFLOOR = `n=$1; shift; "$n" "$@" -t && "$n" "$@" -s reload`
  const rewrite = (to) => {
    writeFileSync(`${include}.tmp`, upstream(to))
    renameSync(`${include}.tmp`, include)
  }
  const testAndReload = () => run('sh', ['-c', NFLOOR, 'sh', NGINX, ...nginx.args], { timeout: 10_000 })
  /** The master's children, pid → title, read from /proc as the action reads them (the router's PROC_SCRIPT). */
  const workers = async () => {
    const { stdout } = await run('sh', ['-c', PROC_SCRIPT]).catch((e) => e)
    return new Map(
      parseProcTable(stdout ?? '')
        .filter((p) => p.ppid === nginx.pid)
        .map((p) => [p.pid, p.title])
    )
  }
  const nFloor = async (to) => {
    const t0 = performance.now()
    rewrite(to)
    await testAndReload()
    return { ms: performance.now() - t0 }
  }
  const nFloorWait = async (to) => {
    const t0 = performance.now()
    rewrite(to)
    const before = await workers()
    await testAndReload()
    // The action's wait: a new worker runs and every old one is shutting down (10 ms polls).
    for (const end = performance.now() + 10_000; ;) {
      const now = await workers()
      const fresh = [...now.keys()].some((p) => !before.has(p))
      if (fresh && [...now].filter(([p]) => before.has(p)).every(([, t]) => /shutting down/.test(t))) break
      if (performance.now() > end) throw new Error('nginx floor: no new worker within 10 s')
      await new Promise((r) => setTimeout(r, 10))
    }
    return { ms: performance.now() - t0 }
  }
  await step(nInputs, 'green')
  await step(nInputs, 'blue')
  const nTimes = await timeRounds({
    gantry: (to) => step(nInputs, to),
    floor: nFloor,
    floorWait: nFloorWait
  })
  console.log('nginx timing', JSON.stringify(nTimes))
  // The load runs come after both routers' timing, so the load average of the timing is the machine's, not autocannon's.
  const loadTiming = loadMax

  const hLoad = []
  for (let k = 0; k < LOAD_RUNS; k++) {
    const r = await underLoad(haproxy.url, CONNECTIONS, async () => {
      for (let n = 0; n < SWITCHES; n++) await step(hInputs, n % 2 === 0 ? 'green' : 'blue')
    })
    console.log('haproxy load', JSON.stringify(r.load), Math.round(r.ms))
    hLoad.push(r)
  }
  await haproxy.stop()

  const nLoad = []
  for (let k = 0; k < LOAD_RUNS; k++) {
    const g = await underLoad(nginx.url, CONNECTIONS, async () => {
      for (let n = 0; n < SWITCHES; n++) await step(nInputs, n % 2 === 0 ? 'green' : 'blue')
    })
    // The bare loop at the same load and the same pace (reloads closer together coalesce in
    // the master: fewer reloads, not cheaper ones).
    const pace = g.ms / SWITCHES
    const paced = (change) =>
      underLoad(nginx.url, CONNECTIONS, async () => {
        const t0 = performance.now()
        for (let n = 0; n < SWITCHES; n++) {
          await change(n % 2 === 0 ? 'green' : 'blue')
          const next = t0 + (n + 1) * pace - performance.now()
          if (next > 0) await new Promise((r) => setTimeout(r, next))
        }
      })
    const b = await paced(nFloor)
    // And with the action's wait (/proc every 10 ms while the master reloads): what the wait itself costs.
    const w = await paced(nFloorWait)
    console.log('nginx load', JSON.stringify({ gantry: g.load, bare: b.load, wait: w.load }), Math.round(pace))
    nLoad.push({ gantry: g, bare: b, wait: w })
  }
  // Back to blue as it started; not measured.
  await step(nInputs, 'blue')
  await stopAll()

  // --- the section -----------------------------------------------------------------
  const loadEnd = loadavg()[0]
  const ciAtEnd = ciBusy()
  const totalS = (performance.now() - startedAt) / 1000
  const h = {
    in: med(hTimes.gantry, 'inProcess'),
    step: med(hTimes.gantry, 'ms'),
    inNoState: med(hTimes.gantryNoState, 'inProcess'),
    stepNoState: med(hTimes.gantryNoState, 'ms'),
    floor: med(hTimes.floor, 'ms')
  }
  const n = {
    in: med(nTimes.gantry, 'inProcess'),
    step: med(nTimes.gantry, 'ms'),
    floor: med(nTimes.floor, 'ms'),
    floorWait: med(nTimes.floorWait, 'ms')
  }
  const samples = ROUNDS * 2
  const x = (a, b) => `${fmt(a / b, 2)}×`
  const verdict = (ok) => (ok ? '✅ met' : '❌ missed')
  const failed = (l) => l.non2xx + l.errors // autocannon's errors include its timeouts
  const sum = (rs, f) => rs.reduce((a, r) => a + f(r), 0)
  const hFailed = sum(hLoad, (r) => failed(r.load))
  const gRes = sum(nLoad, (r) => r.gantry.load.errors - r.gantry.load.timeouts)
  const bRes = sum(nLoad, (r) => r.bare.load.errors - r.bare.load.timeouts)
  const wRes = sum(nLoad, (r) => r.wait.load.errors - r.wait.load.timeouts)
  const per1000 = (res, who) => fmt((res * 1000) / sum(nLoad, (r) => r[who].load.total), 2)
  const gNon2xx = sum(nLoad, (r) => r.gantry.load.non2xx)
  const gTimeouts = sum(nLoad, (r) => r.gantry.load.timeouts)
  const rate = (r) => fmt(r.load.total / (r.ms / 1000))
  const codes = (l) =>
    Object.entries(l.byCode)
      .map(([c, k]) => `${c} ${k}`)
      .join(', ') || 'none'
  const machine = `${cpus().length}-core machine, Node ${process.version}; 1-minute load average ${fmt(loadStart, 1)} when the run started, ${fmt(loadTiming, 1)} at most during the single-switch timing (one step at a time: the rest is other work on the machine), ${fmt(loadMax, 1)} at most in the load runs (autocannon, the routers and the apps keep both cores busy) and ${fmt(loadEnd, 1)} at its end; ${ciAtStart || ciAtEnd ? `**a CI run (\`.ci/run\`) was running ${ciAtStart && ciAtEnd ? 'throughout' : ciAtStart ? 'when it started' : 'when it ended'}**` : 'no CI run (`.ci/run`) at its start or end'}; the whole bench took ${fmt(totalS)} s.`

  section = `## traffic — blue-green switches through nginx and HAProxy

Real routers on 127.0.0.1, as the system tests start them: nginx ${spawnSync(NGINX, ['-v'], { encoding: 'utf8' }).stderr.trim().replace('nginx version: nginx/', '')} (master + one worker, own prefix and config) and HAProxy ${spawnSync(HAPROXY, ['-v'], { encoding: 'utf8' }).stdout.match(/version (\S+)/)?.[1] ?? '?'} (runtime API on a unix socket, \`level admin\`, \`balance roundrobin\`), each in front of two Node app instances run from \`slots/blue\` and \`slots/green\`. Gantry is the committed bundle \`dist/traffic/index.js\` run as the runner runs it (\`INPUT_*\` environment, test/harness/runner.mjs), \`weights: green\` then \`weights: blue\` (100% moved, \`verify: true\`: the step reads the router back and the bench checks the report says verified). **In-process** is the report's \`durationMs\` (inputs to report: lock, read, apply, read-back, history write; whole milliseconds); **whole step** is the harness's call, from the runner-like setup (temp files for the file commands, action.yml's defaults) through spawning \`node\` to its exit (Node's start and the bundle's load included). Every method runs in turn in each of ${ROUNDS} rounds (order rotated), two changes each; medians of ${samples} changes. ${machine}

### One switch, HAProxy (median of ${samples})

| method | time | vs floor |
| --- | --- | --- |
| floor: \`echo "set server app/green weight 100" \\| socat stdio unix-connect:…\`, the same for \`app/blue weight 0\`, and \`show servers state app\` (read back and checked), one \`sh\` script | ${fmt(h.floor, 1)} ms | 1.00× |
| Gantry, in-process (with \`router-state-file\`, as documented) | ${fmt(h.in)} ms | ${x(h.in, h.floor)} |
| Gantry, whole step with Node's start | ${fmt(h.step)} ms | ${x(h.step, h.floor)} |
| Gantry without \`router-state-file\`, in-process | ${fmt(h.inNoState)} ms | ${x(h.inNoState, h.floor)} |
| Gantry without \`router-state-file\`, whole step | ${fmt(h.stepNoState)} ms | ${x(h.stepNoState, h.floor)} |

Gantry does more than the floor: it takes the lock of \`path\`, reads \`show servers state app\` four times (the preflight check that every server exists, the weights before, the snapshot a refused command would be undone from, the read-back) and \`show servers state\` once more for the state file (written atomically), sends 3 commands (\`state ready\` and \`weight 100\` to the gaining server, \`weight 0\` to the other), each on its own connection as the runtime API closes it after one, and writes \`.gantry/traffic.json\` (fsync, rename) and the report. Node's start and the bundle's load are ${fmt(h.step - h.in)} ms of the whole step here.

### One switch, nginx (median of ${samples})

| method | time | vs floor without wait | vs floor with the wait |
| --- | --- | --- | --- |
| floor without wait: the include rewritten (temp file, rename), then \`nginx -t && nginx -s reload\` (one \`sh\`) | ${fmt(n.floor)} ms | 1.00× | ${x(n.floor, n.floorWait)} |
| floor with the same wait: as above, then the master's workers read from \`/proc\` (the router's own script) every 10 ms until a new worker runs and every old one is shutting down | ${fmt(n.floorWait)} ms | ${x(n.floorWait, n.floor)} | 1.00× |
| Gantry, in-process | ${fmt(n.in)} ms | ${x(n.in, n.floor)} | ${x(n.in, n.floorWait)} |
| Gantry, whole step with Node's start | ${fmt(n.step)} ms | ${x(n.step, n.floor)} | ${x(n.step, n.floorWait)} |

What each waits for: \`nginx -s reload\` only sends SIGHUP to the master and exits, so the floor without wait returns before the master has read the new configuration; at that moment the old worker still takes new connections with the old weights. The action returns when the new weights are live (README: it lists the master's workers before the signal and waits until a new one runs and every old one has retitled itself \`worker process is shutting down\`); the second floor adds that same wait, so it is the like-for-like comparison, and the first is the bare command line the goal names. Gantry also runs \`nginx -T\` (the test, with the configuration printed, to find the pid file) instead of \`-t\`, finds the master in \`/proc\` (the pid file's pid, checked), reads the include before and after, takes the lock and writes the history and report. Node's start and the bundle's load are ${fmt(n.step - n.in)} ms of the whole step.

### ${SWITCHES} switches under ${CONNECTIONS}-connection autocannon load (keep-alive), ${LOAD_RUNS} run${LOAD_RUNS > 1 ? 's' : ''}

Gantry's whole steps one after another (blue → green → blue …), autocannon on the router's port from the first change to the last. nginx's bare loop (rewrite the include, \`nginx -t && nginx -s reload\`, no wait) runs right after each Gantry run at the same pace (one reload every ${nLoad.map((r) => fmt(r.gantry.ms / SWITCHES)).join(' / ')} ms, the Gantry run's time per change) and the same load, then the same loop with the action's wait (the master's workers read from \`/proc\` every 10 ms until the new worker runs, no Node process), to tell the wait's share from Node's. Failed = non-2xx + errors (autocannon's errors include its timeouts); resets = connection errors other than timeouts.

| router, run | requests (per s) | non-2xx | errors | timeouts | resets (by code) | failed per change | Gantry step under load |
| --- | --- | --- | --- | --- | --- | --- | --- |
${hLoad.map((r, k) => `| HAProxy, Gantry, run ${k + 1} | ${r.load.total.toLocaleString('en')} (${rate(r)}) | ${r.load.non2xx} | ${r.load.errors} | ${r.load.timeouts} | ${r.load.errors - r.load.timeouts} (${codes(r.load)}) | ${fmt(failed(r.load) / SWITCHES, 2)} | ${fmt(r.ms / SWITCHES)} ms |`).join('\n')}
${nLoad
  .map(
    (r, k) =>
      `| nginx, Gantry, run ${k + 1} | ${r.gantry.load.total.toLocaleString('en')} (${rate(r.gantry)}) | ${r.gantry.load.non2xx} | ${r.gantry.load.errors} | ${r.gantry.load.timeouts} | ${r.gantry.load.errors - r.gantry.load.timeouts} (${codes(r.gantry.load)}) | ${fmt(failed(r.gantry.load) / SWITCHES, 2)} | ${fmt(r.gantry.ms / SWITCHES)} ms |
| nginx, bare reloads, run ${k + 1} | ${r.bare.load.total.toLocaleString('en')} (${rate(r.bare)}) | ${r.bare.load.non2xx} | ${r.bare.load.errors} | ${r.bare.load.timeouts} | ${r.bare.load.errors - r.bare.load.timeouts} (${codes(r.bare.load)}) | ${fmt(failed(r.bare.load) / SWITCHES, 2)} | – |
| nginx, bare reloads + the wait, run ${k + 1} | ${r.wait.load.total.toLocaleString('en')} (${rate(r.wait)}) | ${r.wait.load.non2xx} | ${r.wait.load.errors} | ${r.wait.load.timeouts} | ${r.wait.load.errors - r.wait.load.timeouts} (${codes(r.wait.load)}) | ${fmt(failed(r.wait.load) / SWITCHES, 2)} | – |`
  )
  .join('\n')}

nginx's resets are its own reload racing keep-alive reuse (the old worker closes idle connections as it shuts down; a request sent on one in that instant is reset, and autocannon does not retry): ${fmt(gRes / (SWITCHES * LOAD_RUNS), 2)} per change with Gantry, ${fmt(bRes / (SWITCHES * LOAD_RUNS), 2)} per bare reload, ${fmt(wRes / (SWITCHES * LOAD_RUNS), 2)} per bare reload with the wait (per 1,000 requests: ${per1000(gRes, 'gantry')}, ${per1000(bRes, 'bare')}, ${per1000(wRes, 'wait')}; the loops serve different request rates, as Gantry's starts a Node process per change on the same cores). A reset is a race that is counted, not timed: how many connections are caught depends on what else holds the cores at the instant the old worker closes its idle connections, so the count moves a lot from run to run (compare the runs above; the system test's three runs gave 1.05–1.4 per change against 3.55–5.6 per bare reload). HAProxy's weight change touches no connection.

| Goal | Result | Verdict |
| --- | --- | --- |
| HAProxy switch, in-process ≤ 2× the socat floor, with \`router-state-file\` (as documented) | ${x(h.in, h.floor)} (${fmt(h.in)} ms vs ${fmt(h.floor, 1)} ms; whole step ${x(h.step, h.floor)}) | ${verdict(h.in <= 2 * h.floor)} |
| the same without \`router-state-file\` (the input's default) | ${x(h.inNoState, h.floor)} (${fmt(h.inNoState)} ms vs ${fmt(h.floor, 1)} ms; whole step ${x(h.stepNoState, h.floor)}) | ${verdict(h.inNoState <= 2 * h.floor)} |
| nginx switch, in-process ≤ 1.5× \`nginx -t && nginx -s reload\` (floor without wait) | ${x(n.in, n.floor)} (${fmt(n.in)} ms vs ${fmt(n.floor)} ms; whole step ${x(n.step, n.floor)}) | ${verdict(n.in <= 1.5 * n.floor)} |
| the same against the floor with the same wait | ${x(n.in, n.floorWait)} (${fmt(n.in)} ms vs ${fmt(n.floorWait)} ms; whole step ${x(n.step, n.floorWait)}) | ${verdict(n.in <= 1.5 * n.floorWait)} |
| HAProxy, ${SWITCHES} switches under load: 0 failed requests (each run) | ${hLoad.map((r) => failed(r.load)).join(' / ')} failed of ${hLoad.map((r) => r.load.total.toLocaleString('en')).join(' / ')} | ${verdict(hFailed === 0)} |
| nginx, ${SWITCHES} switches under load: 0 non-2xx (each run) | ${nLoad.map((r) => r.gantry.load.non2xx).join(' / ')} non-2xx (timeouts ${gTimeouts}) | ${verdict(gNon2xx === 0)} |
| nginx: resets during the switches ≤ those of as many bare reloads, same load and pace (all runs) | ${gRes} vs ${bRes} (runs: ${nLoad.map((r) => `${r.gantry.load.errors - r.gantry.load.timeouts} vs ${r.bare.load.errors - r.bare.load.timeouts}`).join(', ')}) | ${verdict(gRes <= bRes)} |
`
} finally {
  await stopAll()
  rmSync(root, { recursive: true, force: true })
}
writeSection('traffic', section)
