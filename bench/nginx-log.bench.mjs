#!/usr/bin/env node
// nginx-log (the canary's access-log source), in-process: one step's read of
// 1,000,000 generated JSON log lines (≈ 200 MB, README's log_format plus a
// request line and a user agent) through the source's own path (readLines on
// LocalLogAccess, every line parsed and tallied per variant) against
// 1. the floor: a bare Node loop that streams the file and JSON.parses each
//    line (fs.createReadStream, 1 MiB chunks, latin1, split at newlines);
// 2. jq from Debian grouping the same lines by upstream address (requests and
//    5xx per address).
// Each run is its own process (peak RSS its own), alternating, median of 3.
// Goal: ≤ 1.5× the floor, faster than jq, memory bounded (streamed).
import './lib/ts-loader.mjs'
import { spawnSync } from 'node:child_process'
import { createReadStream, mkdtempSync, openSync, closeSync, rmSync, statSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fmt, hasCommand, median, writeSection } from './lib/util.mjs'

const LINES = 1_000_000
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const B = '10.0.0.5:3001'
const C = '10.0.0.6:3002'

async function child(kind, file) {
  // Loaded (and transpiled) before the clock starts: only the read is timed.
  const canary = kind === 'floor' ? undefined : await import('@gantry/canary')
  const t0 = performance.now()
  let summary
  if (kind === 'floor') {
    let n = 0
    let rest = ''
    await new Promise((resolve, reject) => {
      const s = createReadStream(file, { highWaterMark: 1 << 20, encoding: 'latin1' })
      s.on('data', (chunk) => {
        const text = rest + chunk
        let start = 0
        for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
          if (nl > start) {
            JSON.parse(text.slice(start, nl))
            n++
          }
          start = nl + 1
        }
        rest = text.slice(start)
      })
      s.on('end', resolve)
      s.on('error', reject)
    })
    summary = { lines: n }
  } else {
    const { LocalLogAccess, LogTally, readLines } = canary
    const access = new LocalLogAccess()
    const st = await access.stat(file)
    const tally = new LogTally(
      new Map([
        [B, 'baseline'],
        [C, 'canary']
      ])
    )
    await readLines(access, file, st.ino, 0, st.size, (l) => tally.line(l))
    const d = tally.data('latency', 'error-rate')
    summary = {
      lines: tally.counts.lines,
      baseline: d['error-rate'].baseline,
      canary: d['error-rate'].canary,
      latencies: d.latency.baseline.values.length + d.latency.canary.values.length
    }
  }
  const ms = performance.now() - t0
  const { maxRSS } = process.resourceUsage()
  globalThis.gc?.()
  const heapMiB = process.memoryUsage().heapUsed / 2 ** 20
  process.stdout.write(JSON.stringify({ ms, rssMiB: maxRSS / 1024, heapMiB, summary }))
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4])
  process.exit(0)
}

if (!hasCommand('jq')) {
  console.error('bench nginx-log: jq not found (apt-get install -y jq)')
  process.exit(1)
}
const jqVersion = spawnSync('jq', ['--version'], { encoding: 'utf8' }).stdout.trim()

// The log: seeded, 90% baseline / 10% canary, 1% 5xx, 0.5% retried, 0.5% without an upstream.
const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-nginx-log-'))
const file = join(dir, 'access.json')
let s = 7
const rnd = () => {
  s = (s + 0x6d2b79f5) | 0
  let t = Math.imul(s ^ (s >>> 15), 1 | s)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const fd = openSync(file, 'w')
let batch = []
const t = (x) => x.toFixed(3)
for (let i = 0; i < LINES; i++) {
  const r = rnd()
  const addr = r < 0.005 ? '-' : r < 0.01 ? `${C}, ${B}` : r < 0.1 ? C : B
  const status = rnd() < 0.01 ? 502 : 200
  const up = 0.005 + rnd() * 0.05
  const line = {
    msec: t(1_700_000_000 + i / 1000),
    status: String(addr === '-' ? 404 : status),
    upstream_addr: addr,
    upstream_status: addr === '-' ? '-' : addr.includes(',') ? `502, ${status}` : String(status),
    upstream_response_time: addr === '-' ? '-' : addr.includes(',') ? `0.001, ${t(up)}` : t(up),
    request_time: t(up + 0.001),
    request: `GET /api/items/${i % 9973}?page=${i % 17} HTTP/1.1`
  }
  batch.push(JSON.stringify(line))
  if (batch.length === 10_000) {
    writeSync(fd, batch.join('\n') + '\n')
    batch = []
  }
}
if (batch.length) writeSync(fd, batch.join('\n') + '\n')
closeSync(fd)
const size = statSync(file).size

function runChild(kind, flags = []) {
  const self = new URL(import.meta.url).pathname
  const hook = join(self, '..', '..', 'scripts', 'json-import-hook.mjs')
  const r = spawnSync(process.execPath, ['--expose-gc', ...flags, '--import', hook, self, '--child', kind, file], {
    encoding: 'utf8',
    maxBuffer: 1 << 20
  })
  if (r.status !== 0) throw new Error(`${kind}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

const JQ = `reduce inputs as $l ({}; ($l.upstream_addr | split(", ") | last) as $a
  | .[$a].requests += 1 | if ($l.status | tonumber) >= 500 then .[$a].errors += 1 else . end)`
function runJq() {
  const t0 = performance.now()
  const r = spawnSync('/usr/bin/time', ['-f', '%M', 'jq', '-n', '-c', JQ, file], {
    encoding: 'utf8',
    maxBuffer: 1 << 20
  })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`jq: ${r.stderr}`)
  const rss = Number(r.stderr.trim().split('\n').at(-1)) / 1024
  return { ms, rssMiB: rss, summary: JSON.parse(r.stdout) }
}

const results = { floor: [], gantry: [], jq: [] }
for (let k = 0; k < RUNS; k++) {
  results.floor.push(runChild('floor'))
  results.gantry.push(runChild('gantry'))
  results.jq.push(runJq())
  console.log(
    `run ${k + 1}: floor ${fmt(results.floor.at(-1).ms)} ms, gantry ${fmt(results.gantry.at(-1).ms)} ms, jq ${fmt(results.jq.at(-1).ms)} ms`
  )
}
// Bounded: the same read with V8's old space capped far below the file's size.
const CAP = 64
const capped = runChild('gantry', [`--max-old-space-size=${CAP}`])
rmSync(dir, { recursive: true, force: true })

const m = (k) => median(results[k].map((r) => r.ms))
const rss = (k) => Math.max(...results[k].map((r) => r.rssMiB))
const floor = m('floor')
const gantry = m('gantry')
const jq = m('jq')
const g = results.gantry[0].summary
const jqCanary = results.jq[0].summary[C]
const agree = jqCanary.requests + 0 <= g.canary.total && g.lines === results.floor[0].summary.lines
const mb = (size / 1e6).toFixed(0)

writeSection(
  'nginx-log',
  `## nginx-log

### One step's read of ${LINES.toLocaleString('en')} JSON access-log lines (${mb} MB), in-process, each run its own process (median of ${RUNS}, alternating)

| what | time | ratio to the floor | peak RSS |
| --- | --- | --- | --- |
| floor: bare Node loop, \`createReadStream\` (1 MiB chunks) + \`JSON.parse\` of each line | ${fmt(floor)} ms | 1.00 | ${fmt(rss('floor'))} MiB |
| @gantry/canary \`nginx-log\` (\`readLines\` on the file + \`LogTally\`: parse, attribute by address, latencies and 5xx per variant) | ${fmt(gantry)} ms | ${fmt(gantry / floor, 2)} | ${fmt(rss('gantry'))} MiB |
| the same, V8's old space capped at ${CAP} MiB (\`--max-old-space-size\`) | ${fmt(capped.ms)} ms | ${fmt(capped.ms / floor, 2)} | ${fmt(capped.rssMiB)} MiB |
| ${jqVersion} from Debian, \`reduce inputs\` grouping by the last upstream address (requests, 5xx) | ${fmt(jq)} ms | ${fmt(jq / floor, 2)} | ${fmt(rss('jq'))} MiB |

Goals: ≤ 1.5× the floor — **${gantry <= 1.5 * floor ? 'met' : 'not met'}** (${fmt(gantry / floor, 2)}×); faster than jq — **${gantry < jq ? 'met' : 'not met'}** (${fmt(jq / gantry, 1)}× faster). Memory is bounded by streaming: the ${mb} MB file is read in 1 MiB chunks (8 MiB per ssh call on a remote router host), and the read completes with the old space capped at ${CAP} MiB; the JS heap after the read (after a GC) is ${fmt(median(results.gantry.map((r) => r.heapMiB)))} MiB (the floor's: ${fmt(median(results.floor.map((r) => r.heapMiB)))} MiB), what grows with the lines being only the latencies kept for the judge (${g.latencies.toLocaleString('en')} numbers here, 8 bytes each). The peak RSS is mostly V8's young generation of short-lived line strings and the TypeScript loader (the bench imports the sources), not the file. Gantry counted ${g.baseline.total.toLocaleString('en')} baseline and ${g.canary.total.toLocaleString('en')} canary requests (the canary's include the failed first attempts of retried requests), jq ${jqCanary.requests.toLocaleString('en')} canary requests by last address — ${agree ? 'consistent' : 'NOT consistent'}. The lines: 90% baseline, 10% canary, 1% 502, 0.5% retried (\`canary, baseline\`), 0.5% without an upstream, ≈ ${Math.round(size / LINES)} bytes each.
`
)
