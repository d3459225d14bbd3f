// The canary action's bundle with the prometheus source against Prometheus from Debian, started
// here with a config of its own (scrape interval 1s, its own TSDB in a temp dir, a free 127.0.0.1
// port; never the system service), scraping two real app instances that count their requests with
// prom-client (a histogram of request durations and a counter by status) while both are under
// load. The router is a router-command writing the weights to a file: the load goes to each
// instance directly, so both variants have traffic whatever the step. Judged from PromQL: p95 by
// histogram_quantile and the share of 5xx; a slower canary and an erroring one are aborted, an
// equal one promoted; bad inputs (PromQL without $variant, an unreachable prometheus-url) are one
// line and nothing moves.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { runAction } from '../harness/runner.mjs'
import { freePort, waitFor } from '../helpers/http.js'
import { lbCommand } from '../helpers/lb-command.js'

jest.setTimeout(120_000)

const PROMETHEUS = process.env.GANTRY_PROMETHEUS ?? '/usr/bin/prometheus'

const APP = `
import { createServer } from 'node:http'
const client = (await import(process.argv[3])).default
const registry = new client.Registry()
const duration = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'request durations',
  buckets: [0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.045, 0.05, 0.06, 0.08, 0.1, 0.25, 1],
  registers: [registry]
})
const requests = new client.Counter({ name: 'http_requests_total', help: 'requests by status', labelNames: ['status'], registers: [registry] })
let delay = 0
let errors = 0
let served = 0
let failed = 0
const server = createServer(async (req, res) => {
  if (req.url === '/metrics') {
    res.setHeader('content-type', registry.contentType)
    return res.end(await registry.metrics())
  }
  if (req.url.startsWith('/__behave')) {
    const q = new URL(req.url, 'http://app').searchParams
    delay = Number(q.get('delay') ?? 0)
    errors = Number(q.get('errors') ?? 0)
    served = 0
    failed = 0
    return res.end('ok')
  }
  const end = duration.startTimer()
  const fail = Math.floor(++served * errors) > failed
  if (fail) failed++
  setTimeout(() => {
    res.statusCode = fail ? 500 : 200
    res.end('ok')
    end()
    requests.inc({ status: String(res.statusCode) })
  }, delay)
})
server.keepAliveTimeout = 65_000
server.listen(0, '127.0.0.1', () => console.log(String(server.address().port)))
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)) })
`

interface App {
  address: string
  behave(o: { delayMs?: number; errorRate?: number }): Promise<void>
  child: ChildProcess
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(t)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

async function startApp(root: string, name: string): Promise<App> {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'server.mjs'), APP)
  const promClient = pathToFileURL(createRequire(import.meta.url).resolve('prom-client')).href
  const child = spawn(process.execPath, [join(dir, 'server.mjs'), name, promClient], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`app ${name} did not start within 10 s`)), 10_000)
    child.stdout!.setEncoding('utf8').once('data', (d: string) => {
      clearTimeout(t)
      resolve(Number(d.trim()))
    })
    child.once('exit', (c) => reject(new Error(`app ${name} exited with ${c}`)))
  })
  const address = `127.0.0.1:${port}`
  return {
    address,
    child,
    behave: async (o) =>
      void (await fetch(`http://${address}/__behave?delay=${o.delayMs ?? 0}&errors=${o.errorRate ?? 0}`).then((r) =>
        r.text()
      ))
  }
}

let root: string
let blue: App
let green: App
let prom: ChildProcess | undefined
let promUrl: string
const measured: string[] = []

async function promGet(path: string): Promise<{ status: string; data: unknown }> {
  const r = await fetch(`${promUrl}${path}`, { signal: AbortSignal.timeout(5000) })
  return (await r.json()) as { status: string; data: unknown }
}

beforeAll(async () => {
  if (!existsSync(PROMETHEUS))
    throw new Error(`${PROMETHEUS} not found: install the Debian package (apt-get install -y prometheus); .ci/run does`)
  root = mkdtempSync(join(tmpdir(), 'gantry-canary-prom-'))
  blue = await startApp(root, 'blue')
  green = await startApp(root, 'green')
  const port = await freePort()
  promUrl = `http://127.0.0.1:${port}/`
  writeFileSync(
    join(root, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: app',
      '    static_configs:',
      `      - targets: ['${blue.address}', '${green.address}']`
    ].join('\n')
  )
  prom = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(root, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(root, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn'
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] }
  )
  let log = ''
  prom.stderr!.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-4000)))
  // Both targets scraped, and healthy.
  await waitFor(
    async () => {
      if (prom!.exitCode !== null) throw new Error(`prometheus exited with ${prom!.exitCode}: ${log}`)
      try {
        const t = (await promGet('api/v1/targets')).data as {
          activeTargets: Array<{ labels: { instance: string }; health: string }>
        }
        const up = t.activeTargets.filter((x) => x.health === 'up').map((x) => x.labels.instance)
        return up.includes(blue.address) && up.includes(green.address)
      } catch {
        return false
      }
    },
    30_000,
    'Prometheus to scrape both app instances'
  )
}, 60_000)

afterAll(async () => {
  console.log(`canary with the prometheus source:\n${measured.join('\n')}`)
  await stop(prom)
  await stop(blue?.child)
  await stop(green?.child)
  if (root) rmSync(root, { recursive: true, force: true })
})

/** `connections` loops per instance, each a request after the previous, until stopped (bounded: 3 minutes). */
function load(connections = 4) {
  let stopped = false
  let sent = 0
  const deadline = Date.now() + 180_000
  const loop = async (address: string) => {
    while (!stopped && Date.now() < deadline) {
      try {
        await (await fetch(`http://${address}/`, { signal: AbortSignal.timeout(5000) })).text()
      } catch {
        // counted by the apps, not here
      }
      sent++
    }
  }
  const loops = [blue, green].flatMap((a) => Array.from({ length: connections }, () => loop(a.address)))
  return {
    sent: () => sent,
    stop: async () => {
      stopped = true
      await Promise.all(loops)
    }
  }
}

/**
 * Until Prometheus has scraped both instances at least `freshS` seconds after `since` (so a rate over
 * the last 3s holds only the behaviour set at `since`) and has a request rate for both: bounded.
 */
async function freshRates(since: number, freshS = 4): Promise<void> {
  await waitFor(
    async () => {
      const q = encodeURIComponent(
        'timestamp(up) and on (instance) (sum by (instance) (rate(http_requests_total[3s])) > 0)'
      )
      const r = (await promGet(`api/v1/query?query=${q}`)).data as {
        result: Array<{ metric: { instance: string }; value: [number, string] }>
      }
      return r.result.filter((x) => Number(x.value[1]) >= since / 1000 + freshS).length === 2
    },
    20_000,
    'fresh request rates of both instances in Prometheus'
  )
}

const METRICS = [
  '- name: p95-latency',
  '  query: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{instance="$variant"}[3s])))',
  '  allowed-increase: 10%',
  '- name: 5xx-share',
  '  query: (sum(rate(http_requests_total{instance="$variant",status=~"5.."}[3s])) or vector(0)) / sum(rate(http_requests_total{instance="$variant"}[3s]))',
  '  critical: true'
].join('\n')

/** Until Prometheus, scraped after `since`, sees no request at all on either instance over its rate window: bounded. */
async function noRates(since: number): Promise<void> {
  await waitFor(
    async () => {
      const q = encodeURIComponent(
        'timestamp(up) and on (instance) (sum by (instance) (rate(http_requests_total[3s])) == 0)'
      )
      const r = (await promGet(`api/v1/query?query=${q}`)).data as { result: Array<{ value: [number, string] }> }
      return r.result.filter((x) => Number(x.value[1]) >= since / 1000 + 1).length === 2
    },
    30_000,
    'no request rate on either instance in Prometheus'
  )
}

let n = 0
async function canary(what: string, inputs: Record<string, string>, o: { traffic?: boolean } = {}) {
  const dir = join(root, `run-${++n}`)
  mkdirSync(dir)
  const lbFile = join(dir, 'lb.json')
  const since = Date.now()
  const traffic = o.traffic ?? true
  const l = traffic ? load() : { sent: () => 0, stop: async () => undefined }
  const t0 = performance.now()
  try {
    await (traffic ? freshRates(since) : noRates(since))
    const r = await runAction('canary', {
      inputs: {
        router: 'command',
        upstream: 'app',
        servers: `blue=${blue.address}\ngreen=${green.address}`,
        'router-command': lbCommand(dir, lbFile),
        'baseline-server': 'blue',
        'canary-server': 'green',
        steps: '50%,100%',
        bake: '12s',
        'min-samples': '10',
        'max-extensions': '0',
        analysis: 'prometheus',
        'prometheus-url': promUrl,
        'prometheus-step': '1s',
        metrics: METRICS,
        timeout: '5s',
        path: join(dir, 'app'),
        ...inputs
      },
      timeoutMs: 60_000
    })
    const ms = Math.round(performance.now() - t0)
    const report = r.outputs.report
      ? (JSON.parse(readFileSync(r.outputs.report, 'utf8')) as {
          source: string
          steps: Array<{
            outcome: string
            data?: Record<string, { missing?: { baseline: number; canary: number } }>
            judgements: Array<{
              score: number
              metrics: Array<{ name: string; classification: string; baseline: { n: number }; canary: { n: number } }>
            }>
          }>
        })
      : undefined
    const step = report?.steps?.[0]
    const j = step?.judgements.at(-1)
    const missing = Object.fromEntries(Object.entries(step?.data ?? {}).map(([k, v]) => [k, v.missing]))
    measured.push(
      `  ${what}: ${JSON.stringify({ verdict: r.outputs.verdict, ms, requests: l.sent(), metrics: j?.metrics.map((m) => `${m.name}:${m.classification}:${m.baseline.n}/${m.canary.n}`), missing })}`
    )
    return { r, report, lbFile }
  } finally {
    await l.stop()
  }
}

const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)

describe('canary with the prometheus source (Prometheus from Debian scraping two real instances under load)', () => {
  test('a canary twice as slow is aborted: p95-latency high, the weights back on the baseline', async () => {
    await Promise.all([blue.behave({ delayMs: 15 }), green.behave({ delayMs: 30 })])
    const { r, report, lbFile } = await canary('+100% latency', {})
    expect(r.outputs.verdict).toBe('aborted')
    expect(r.code).toBe(1)
    expect(report!.source).toBe('prometheus')
    const j = report!.steps[0].judgements.at(-1)!
    const p95 = j.metrics.find((m) => m.name === 'p95-latency')!
    expect(p95.classification).toBe('high')
    expect(p95.baseline.n).toBeGreaterThanOrEqual(10)
    expect(p95.canary.n).toBeGreaterThanOrEqual(10)
    expect(JSON.parse(readFileSync(lbFile, 'utf8'))).toEqual({ blue: 100, green: 0 })
    expect(r.summary).toContain('Source: prometheus (')
    expect(r.summary).toContain('#### Points per variant (prometheus)')
  })

  test('a canary answering 20% 500s is aborted on the 5xx share (critical: score 0)', async () => {
    await Promise.all([blue.behave({ delayMs: 10 }), green.behave({ delayMs: 10, errorRate: 0.2 })])
    const { r, report, lbFile } = await canary('20% 5xx', {})
    expect(r.outputs.verdict).toBe('aborted')
    const j = report!.steps[0].judgements.at(-1)!
    expect(j.metrics.find((m) => m.name === '5xx-share')!.classification).toBe('high')
    expect(j.score).toBe(0)
    expect(JSON.parse(readFileSync(lbFile, 'utf8'))).toEqual({ blue: 100, green: 0 })
  })

  test('a canary equal to the baseline is promoted', async () => {
    await Promise.all([blue.behave({ delayMs: 15 }), green.behave({ delayMs: 15 })])
    const { r, report, lbFile } = await canary('equal', {})
    expect({ code: r.code, errors: errors(r), verdict: r.outputs.verdict }).toEqual({
      code: 0,
      errors: [],
      verdict: 'promoted'
    })
    expect(report!.steps.map((s) => s.outcome)).toEqual(['passed', 'promoted'])
    expect(JSON.parse(readFileSync(lbFile, 'utf8'))).toEqual({ blue: 0, green: 100 })
  })

  test('no traffic at all: every point is no data, so the step is inconclusive, not a pass or a failure', async () => {
    await Promise.all([blue.behave({ delayMs: 15 }), green.behave({ delayMs: 15 })])
    const { r, report, lbFile } = await canary('no traffic', {}, { traffic: false })
    expect(r.outputs.verdict).toBe('inconclusive')
    expect(r.code).toBe(1)
    const step = report!.steps[0]
    expect(step.outcome).toBe('inconclusive')
    expect(step.judgements[0].metrics.map((m) => m.classification)).toEqual(['nodata', 'nodata'])
    // Every step of the window was left out as no data, for both variants, and the summary says so.
    for (const m of Object.values(step.data ?? {})) expect(m.missing?.canary).toBeGreaterThanOrEqual(10)
    expect(r.summary).toMatch(/no data/i)
    expect(JSON.parse(readFileSync(lbFile, 'utf8'))).toEqual({ blue: 100, green: 0 })
  })

  test('PromQL without $variant: one line naming metrics, nothing moved', async () => {
    const { r, lbFile } = await canary('no $variant', {
      metrics:
        '- name: p95\n  query: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[3s])))'
    })
    expect(r.code).toBe(1)
    expect(errors(r)).toEqual([
      expect.stringMatching(/^Input 'metrics' has invalid value '.*': metric 1 \(p95\): query: no \$variant/)
    ])
    expect(existsSync(lbFile)).toBe(false)
  })

  test('an unreachable prometheus-url: one line naming it, before any traffic moves', async () => {
    const port = await freePort()
    const { r, lbFile } = await canary('unreachable', { 'prometheus-url': `http://127.0.0.1:${port}/` })
    expect(r.code).toBe(1)
    expect(errors(r)).toEqual([
      `Input 'prometheus-url' has invalid value 'http://127.0.0.1:${port}/': no answer (ECONNREFUSED); expected the base URL of a Prometheus server that answers /api/v1/status/buildinfo`
    ])
    expect(existsSync(lbFile)).toBe(false)
    expect(existsSync(join(root, `run-${n}`, 'app', '.gantry', 'traffic.json'))).toBe(false)
  })
})
