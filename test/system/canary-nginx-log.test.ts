// The canary action's bundle (as the runner runs it) with analysis: nginx-log,
// judged from the JSON access log of nginx from Debian on 127.0.0.1, in front
// of two real app instances (slots/blue, slots/green) under autocannon load
// through nginx: a canary 40% slower is aborted, an erroring one is aborted,
// an equal one is promoted, too little traffic is extended then inconclusive;
// an access log that is missing or not JSON is one line and nothing moves;
// with router-host (sshd from Debian on 127.0.0.1 as the router's machine) the
// log is read on that host over ssh and judged the same.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { renderUpstream } from '@gantry/traffic'
import { runAction } from '../harness/runner.mjs'
import { startNginx, type Nginx } from '../helpers/nginx.js'
import { startSshd, type Sshd } from '../helpers/sshd.js'
import { startApp, underLoad, type App } from '../helpers/traffic.js'

jest.setTimeout(120_000)

let root: string
let blue: App
let green: App
let nginx: Nginx
let sshd: Sshd
let include: string
let accessLog: string
let runs = 0

const LOG_FORMAT = `log_format gantry_json escape=json
  '{"msec":"$msec","status":"$status","upstream_addr":"$upstream_addr",'
  '"upstream_status":"$upstream_status","upstream_response_time":"$upstream_response_time",'
  '"request_time":"$request_time"}';`

function canary(inputs: Record<string, string> = {}) {
  const base = join(root, `app-${++runs}`)
  return {
    base,
    run: runAction('canary', {
      inputs: {
        router: 'nginx',
        upstream: 'app',
        servers: `blue=${blue.address}\ngreen=${green.address}`,
        'router-config': include,
        'router-args': `-p ${nginx.prefix} -c ${nginx.conf}`,
        'baseline-server': 'blue',
        'canary-server': 'green',
        steps: '20%,100%',
        bake: '3s',
        'guard-interval': '500ms',
        analysis: 'nginx-log',
        'access-log': accessLog,
        'min-samples': '50',
        'max-extensions': '0',
        path: base,
        ...inputs
      },
      timeoutMs: 60_000
    })
  }
}

type Report = {
  verdict: string
  source: string
  steps: Array<{
    outcome: string
    judgements: Array<{
      verdict: string
      notes?: string[]
      metrics: Array<{ name: string; classification: string; baseline: { n: number }; canary: { n: number } }>
    }>
  }>
}
const report = (r: { outputs: Record<string, string> }) => JSON.parse(readFileSync(r.outputs.report, 'utf8')) as Report
const weightsNow = () => readFileSync(include, 'utf8')

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gantry-canary-nginx-log-'))
  blue = await startApp(root, 'blue')
  green = await startApp(root, 'green')
  include = join(root, 'gantry-app.conf')
  writeFileSync(
    include,
    renderUpstream('app', [{ name: 'blue', address: blue.address }], { blue: 100 }, ['keepalive 16;'])
  )
  nginx = await startNginx(
    `access_log ACCESS_LOG gantry_json;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }`.replace(
      'ACCESS_LOG',
      join(root, 'access.json')
    ),
    { http: `${LOG_FORMAT}\n  include ${include};` }
  )
  accessLog = join(root, 'access.json')
  sshd = await startSshd()
}, 60_000)

afterAll(async () => {
  await sshd?.stop()
  await nginx?.stop()
  await blue?.stop()
  await green?.stop()
  rmSync(root, { recursive: true, force: true })
})

/** Both apps' behaviour, then the canary under `connections` of load through nginx. */
async function scenario(o: { blue: number; green: number; greenErrors?: number }, inputs = {}, connections = 8) {
  await blue.behave({ delayMs: o.blue })
  await green.behave({ delayMs: o.green, errorRate: o.greenErrors ?? 0 })
  const c = canary(inputs)
  const { load, value } = await underLoad(`${nginx.url}/`, connections, () => c.run)
  return { r: value, load }
}

describe('canary with analysis: nginx-log (nginx from Debian, its JSON access log)', () => {
  test('a canary 40% slower is aborted: latency high, all traffic back on blue', async () => {
    const { r, load } = await scenario({ blue: 10, green: 14 })
    expect(load.total).toBeGreaterThan(500)
    expect(r.outputs.verdict).toBe('aborted')
    expect(r.code).toBe(1)
    const rep = report(r)
    expect(rep.source).toBe('nginx-log')
    const latency = rep.steps[0].judgements[0].metrics.find((m) => m.name === 'latency')!
    expect(latency.classification).toBe('high')
    expect(latency.canary.n).toBeGreaterThanOrEqual(50)
    expect(weightsNow()).toContain(`server ${green.address} down;`)
    expect(r.summary).toContain('#### Source notes (nginx-log)')
    expect(r.summary).toMatch(/log line\(s\): baseline \d+ request\(s\)/)
  })

  test('over ssh (router-host): the log is read on the router host, and a slower canary is aborted there too', async () => {
    const ssh = { 'router-host': sshd.host, 'ssh-key': sshd.clientKey, 'known-hosts': sshd.knownHosts }
    const { r } = await scenario({ blue: 10, green: 14 }, ssh)
    expect(r.outputs.verdict).toBe('aborted')
    const rep = report(r) as Report & { host: string }
    expect(rep.host).not.toBe('local')
    expect(rep.host).toContain('127.0.0.1')
    const latency = rep.steps[0].judgements[0].metrics.find((m) => m.name === 'latency')!
    expect(latency.classification).toBe('high')
    expect(latency.canary.n).toBeGreaterThanOrEqual(50)
    expect(weightsNow()).toContain(`server ${green.address} down;`)
    // The key is never printed (::add-mask:: is how the runner is told what to mask; it never prints it).
    const key = sshd.clientKey.split('\n')[1]
    const shown = r.stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n')
    expect(shown).not.toContain(key)
    expect(r.summary).not.toContain(key)
    expect(readFileSync(r.outputs.report, 'utf8')).not.toContain(key)
  })

  test('a canary answering 500 to a share of requests is aborted (the judge or the guard)', async () => {
    const { r } = await scenario({ blue: 5, green: 5, greenErrors: 0.15 })
    expect(r.outputs.verdict).toBe('aborted')
    const rep = report(r)
    const s = rep.steps[0]
    // Either the guard tripped on the canary's 5xx share, or the judge failed error-rate (critical: score 0).
    if (s.outcome === 'guard') expect(r.stdout).toMatch(/guard tripped/)
    else expect(s.judgements[0].metrics.find((m) => m.name === 'error-rate')).toMatchObject({ classification: 'high' })
    expect(weightsNow()).toContain(`server ${green.address} down;`)
  })

  test('an equal canary is promoted: 100% on green', async () => {
    const { r } = await scenario({ blue: 5, green: 5 })
    expect({ code: r.code, verdict: r.outputs.verdict }).toEqual({ code: 0, verdict: 'promoted' })
    const j = report(r).steps[0].judgements[0]
    expect(j.metrics.map((m) => [m.name, m.classification])).toEqual([
      ['latency', 'pass'],
      ['error-rate', 'pass']
    ])
    expect(j.notes?.[0]).toMatch(/canary \d+ request\(s\)/)
    expect(weightsNow()).toContain(`server ${blue.address} down;`)
  })

  test('too little traffic: no data, the step extended, then inconclusive', async () => {
    await blue.behave({ delayMs: 1 })
    await green.behave({ delayMs: 1 })
    const c = canary({ 'max-extensions': '1', bake: '2s', 'min-samples': '200' })
    let done = false
    const run = c.run.finally(() => (done = true))
    // A trickle: one request at a time, paced (not a synchronisation: the canary runs on its own clock).
    let sent = 0
    while (!done) {
      await fetch(`${nginx.url}/`).then((res) => res.text())
      sent++
      await new Promise((res) => setTimeout(res, 100))
    }
    const r = await run
    expect(sent).toBeGreaterThan(5)
    expect(r.outputs.verdict).toBe('inconclusive')
    const s = report(r).steps[0]
    expect(s.outcome).toBe('inconclusive')
    expect(s.judgements.map((j) => j.verdict)).toEqual(['inconclusive', 'inconclusive'])
    expect(s.judgements[0].metrics.every((m) => m.classification === 'nodata')).toBe(true)
    expect(weightsNow()).toContain(`server ${green.address} down;`)
  })

  test('an access log that does not exist, or is not JSON: one line naming the input, nothing moves', async () => {
    const before = weightsNow()
    const missing = canary({ 'access-log': join(root, 'nope.json') })
    const r1 = await missing.run
    expect(r1.code).toBe(1)
    expect(r1.stdout).toMatch(/::error::Input 'access-log' has invalid value '.*nope\.json': no such file on local/)
    const text = join(root, 'text.log')
    writeFileSync(text, '127.0.0.1 - - [04/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 6\n')
    const notJson = canary({ 'access-log': text })
    const r2 = await notJson.run
    expect(r2.code).toBe(1)
    expect(r2.stdout).toMatch(/::error::Input 'access-log' has invalid value '.*text\.log': its first line is not JSON/)
    expect(weightsNow()).toBe(before)
    for (const base of [missing.base, notJson.base])
      expect(existsSync(join(base, '.gantry', 'traffic.json'))).toBe(false)
  })
})
