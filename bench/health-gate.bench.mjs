// health-gate benchmarks (issue 2):
// 1. verdict latency: server turns healthy → gate exits 0, against the ideal of
//    one interval (goal ≤ interval + 100 ms); a curl-until loop for comparison.
// 2. sampling throughput vs autocannon, same endpoint, same connections (goal ≥ 0.5×).
// 3. cold start of every bundle to exit on a bad input (goal ≤ 300 ms), bundle sizes.
import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:http'
import { readdirSync, statSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'
import { runAction } from '../test/harness/runner.mjs'
import { benchDir, fmt, hasCommand, median, repoRoot, startChildServer, writeSection } from './lib/util.mjs'

const INTERVAL_MS = 1000
const TRIALS = 6

// --- 1. verdict latency --------------------------------------------------------
async function flipServer() {
  let healthy = false
  const server = createServer((_req, res) => {
    res.statusCode = healthy ? 200 : 503
    res.end()
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    set: (v) => (healthy = v),
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(r)))
  }
}

async function verdictLatency(start) {
  const out = []
  for (let i = 0; i < TRIALS; i++) {
    const s = await flipServer()
    // Flip at a different phase of the poll cycle each trial.
    const flipAfter = 1500 + (i / TRIALS) * INTERVAL_MS
    let flippedAt = 0
    const t = setTimeout(() => {
      s.set(true)
      flippedAt = performance.now()
    }, flipAfter)
    const done = await start(s.url)
    clearTimeout(t)
    out.push(done - flippedAt)
    await s.close()
  }
  return out
}

const gateLatencies = await verdictLatency(async (url) => {
  const r = await runAction('health-gate', {
    inputs: { url, interval: `${INTERVAL_MS}ms`, 'healthy-threshold': '1', samples: '0', 'max-wait': '30s' }
  })
  if (r.code !== 0) throw new Error(`gate failed: ${r.stdout}`)
  return performance.now()
})

let curlLatencies = null
if (hasCommand('curl')) {
  curlLatencies = await verdictLatency(
    (url) =>
      new Promise((resolve) => {
        // The loop users write today: request, then sleep a whole interval.
        const c = spawn('sh', ['-c', 'until curl -fsS -o /dev/null "$1"; do sleep 1; done', 'sh', url], {
          stdio: 'ignore'
        })
        c.on('exit', () => resolve(performance.now()))
      })
  )
}

// --- 2. sampling throughput ----------------------------------------------------
const CONNECTIONS = 16
const REQUESTS = 20_000
const server = await startChildServer(join(benchDir, 'lib', 'hello-server.mjs'))
const url = `http://127.0.0.1:${server.port}/`
// Warm both paths once so neither pays first-connection costs in the measurement.
await autocannon({ url, connections: CONNECTIONS, amount: 2000 })
const ac = []
const gate = []
for (let round = 0; round < 3; round++) {
  // Timed here: autocannon's own \`duration\` is rounded to its 1 s sampling tick, so it
  // reported the same 20000 / 1.01 s for every run.
  const t0 = performance.now()
  const a = await autocannon({ url, connections: CONNECTIONS, amount: REQUESTS })
  ac.push(a.requests.total / ((performance.now() - t0) / 1000))
  const g = await runAction('health-gate', {
    inputs: {
      url,
      samples: String(REQUESTS),
      concurrency: String(CONNECTIONS),
      'healthy-threshold': '1',
      interval: '100ms'
    },
    timeoutMs: 120_000
  })
  if (g.code !== 0) throw new Error(`gate failed: ${g.stdout}`)
  const rep = JSON.parse(readFileSync(g.outputs.report, 'utf8'))
  gate.push(rep.urls[0].sample.count / (rep.urls[0].sample.durationMs / 1000))
}
await server.stop()
const acRps = median(ac)
const gateRps = median(gate)

// --- 3. cold start -------------------------------------------------------------
const dist = join(repoRoot, 'dist')
const cold = []
for (const name of readdirSync(dist).sort()) {
  const script = join(dist, name, 'index.js')
  const times = []
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now()
    // A bad input makes every action exit at once (or it is not implemented yet).
    const r = spawnSync(process.execPath, [script], {
      env: { PATH: process.env.PATH, INPUT_TIMEOUT: 'banana', INPUT_INTERVAL: 'banana', INPUT_STATUS: 'bogus' },
      stdio: 'ignore'
    })
    times.push(performance.now() - t0)
    if (r.status === 0) throw new Error(`${name} exited 0 on bad input`)
  }
  const size = readdirSync(join(dist, name)).reduce((n, f) => n + statSync(join(dist, name, f)).size, 0)
  cold.push([name, median(times), size])
}

const gMax = Math.max(...gateLatencies)
const lines = [
  '## health-gate',
  '',
  `### Verdict latency (server turns healthy → gate exits 0), interval ${INTERVAL_MS} ms, healthy-threshold 1, ${TRIALS} trials at different phases`,
  '',
  '| tool | mean | max | max ÷ (interval + 100 ms) |',
  '| --- | --- | --- | --- |',
  `| health-gate (dist bundle, process start included) | ${fmt(gateLatencies.reduce((a, b) => a + b) / TRIALS)} ms | ${fmt(gMax)} ms | ${fmt(gMax / (INTERVAL_MS + 100), 2)} |`,
  curlLatencies
    ? `| \`until curl -f …; do sleep 1; done\` | ${fmt(curlLatencies.reduce((a, b) => a + b) / TRIALS)} ms | ${fmt(Math.max(...curlLatencies))} ms | ${fmt(Math.max(...curlLatencies) / (INTERVAL_MS + 100), 2)} |`
    : '| curl loop | curl not installed | | |',
  '',
  `Goal: ≤ interval + 100 ms, i.e. ratio ≤ 1.00 — **${gMax <= INTERVAL_MS + 100 ? 'met' : 'not met'}**. Polls run at a fixed rate (start + k × interval), so a slow answer does not delay the next poll.`,
  '',
  `### Sampling throughput, ${REQUESTS} requests over ${CONNECTIONS} keep-alive connections to a local Node server (median of 3)`,
  '',
  '| tool | requests/s | ratio to autocannon |',
  '| --- | --- | --- |',
  `| autocannon | ${fmt(acRps)} | 1.00 |`,
  `| health-gate sample phase | ${fmt(gateRps)} | ${fmt(gateRps / acRps, 2)} |`,
  '',
  `Goal: ≥ 0.5× autocannon — **${gateRps / acRps >= 0.5 ? 'met' : 'not met'}**.`,
  '',
  '### Cold start (node dist/<name>/index.js to exit on a bad input, median of 7) and bundle size',
  '',
  '| bundle | cold start | ÷ 300 ms goal | size (index.js + licenses) |',
  '| --- | --- | --- | --- |',
  ...cold.map(([n, t, s]) => `| ${n} | ${fmt(t)} ms | ${fmt(t / 300, 2)} | ${fmt(s / 1024 / 1024, 2)} MiB |`),
  '',
  `Goal: ≤ 300 ms — **${cold.every(([, t]) => t <= 300) ? 'met' : 'not met'}**.`
]
writeSection('health-gate', lines.join('\n'))
