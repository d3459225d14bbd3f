// deploy-atomic strategy: rolling through the bundle, over four "hosts": a
// stand-in ssh (GANTRY_SSH) runs each remote command in a directory of its
// own per host, and each host's app is an HTTP server on its own loopback
// address (127.0.0.1-4) answering from that host's `current`. The router is
// `router: command`, a program that logs every change. (The real fleet — sshd,
// HAProxy and network namespaces — is the fleet harness's system test.)
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { writeFiles } from '../helpers/git-tree.js'

jest.setTimeout(120_000)

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n'
const ADDRS = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']

/** Runs the remote command in <hosts>/<host>-<port>, as a login directory; a master (-N) or -O exits at once. */
const FAKE_SSH = `#!/bin/sh
port=22; host=
while [ $# -gt 0 ]; do
  case "$1" in
    -O) exit 0 ;;
    -F|-o|-l|-i) shift 2 ;;
    -p) port=$2; shift 2 ;;
    --) shift; host=$1; shift; break ;;
    -*) shift ;;
    *) host=$1; shift; break ;;
  esac
done
[ $# -eq 0 ] && exit 0
dir="$GANTRY_FAKE_HOSTS/$host-$port"
mkdir -p "$dir" && cd "$dir" && exec sh -c "$*"
`

/** The router: logs the JSON it gets, prints the weights back (read-back). */
const ROUTER = `let s = ''
process.stdin.on('data', (d) => (s += d))
process.stdin.on('end', () => {
  require('node:fs').appendFileSync(process.argv[2], s.trim() + '\\n')
  process.stdout.write(JSON.stringify({ weights: JSON.parse(s).weights }))
})
`

let root: string
let hostsDir: string
let routerLog: string
let port: number
const servers: Server[] = []

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-rolling-run-'))
  hostsDir = join(root, 'hosts')
  mkdirSync(hostsDir)
  writeFileSync(join(root, 'ssh'), FAKE_SSH)
  chmodSync(join(root, 'ssh'), 0o755)
  writeFileSync(join(root, 'router.cjs'), ROUTER)
  routerLog = join(root, 'router.log')
  // Each host's app: 200 with its version, 503 when its current release says 'broken on <address>'.
  const first = createServer()
  await new Promise<void>((r) => first.listen(0, ADDRS[0], r))
  port = (first.address() as { port: number }).port
  first.close()
  for (const a of ADDRS) {
    const s = createServer((req, res) => {
      let v = ''
      try {
        v = readFileSync(join(hostsDir, `${a}-22`, 'app', 'current', 'version'), 'utf8').trim()
      } catch {
        v = 'none'
      }
      res.writeHead(v === `broken on ${a}` ? 503 : 200).end(v)
    })
    await new Promise<void>((r) => s.listen(port, a, r))
    servers.push(s)
  }
})
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r))
  rmSync(root, { recursive: true, force: true })
})

const routerCalls = (): Array<{ weights: Record<string, number>; drain: string[]; servers: Record<string, string> }> =>
  readFileSync(routerLog, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
const current = (a: string) => readlinkSync(join(hostsDir, `${a}-22`, 'app', 'current'))
const history = (a: string) =>
  JSON.parse(readFileSync(join(hostsDir, `${a}-22`, 'app', '.gantry', 'history.json'), 'utf8'))

function deploy(id: string, version: string) {
  return runAction('deploy-atomic', {
    env: { GANTRY_SSH: join(root, 'ssh'), GANTRY_FAKE_HOSTS: hostsDir },
    inputs: {
      source: writeFiles(join(root, `src-${id}`), { version }),
      path: 'app',
      target: 'ssh',
      hosts: ADDRS.map((a, n) => `web${n + 1}=deploy@${a}`).join('\n'),
      'ssh-key': KEY,
      'known-hosts': 'insecure-accept',
      'release-id': id,
      strategy: 'rolling',
      'batch-size': '2',
      'host-health-url': `http://{host}:${port}/healthz`,
      interval: '50ms',
      'max-wait': '2s',
      samples: '5',
      router: 'command',
      upstream: 'shop',
      'router-command': `node ${join(root, 'router.cjs')} ${routerLog}`
    }
  })
}

const even = { web1: 25, web2: 25, web3: 25, web4: 25 }

test('two batches of two: drained, switched, gated, back in rotation; the summary has a row per batch', async () => {
  const r1 = await deploy('r1', 'v1')
  expect(r1.annotations.filter((a) => a.level === 'error')).toEqual([])
  expect(r1.code).toBe(0)
  const r2 = await deploy('r2', 'v2')
  expect(r2.code).toBe(0)
  for (const a of ADDRS) expect(current(a)).toBe('releases/r2')
  expect(routerCalls().slice(-4)).toEqual([
    {
      upstream: 'shop',
      weights: { web1: 0, web2: 0, web3: 50, web4: 50 },
      drain: ['web1', 'web2'],
      servers: expect.any(Object)
    },
    { upstream: 'shop', weights: even, drain: [], servers: expect.any(Object) },
    {
      upstream: 'shop',
      weights: { web1: 50, web2: 50, web3: 0, web4: 0 },
      drain: ['web3', 'web4'],
      servers: expect.any(Object)
    },
    { upstream: 'shop', weights: even, drain: [], servers: expect.any(Object) }
  ])
  expect(routerCalls()[0].servers).toEqual({
    web1: '127.0.0.1',
    web2: '127.0.0.2',
    web3: '127.0.0.3',
    web4: '127.0.0.4'
  })
  expect(r2.summary).toMatch(/\| 1 \| web1, web2 \| \d+ ms \| [\d.]+ ms \| ✅ passed \|/)
  expect(r2.summary).toMatch(/\| 2 \| web3, web4 \| \d+ ms \| [\d.]+ ms \| ✅ passed \|/)
  expect(r2.summary).toContain('| web3 | 25% | 25% | in rotation |')
  const report = JSON.parse(readFileSync(r2.outputs.report, 'utf8'))
  expect(report.rolling.batches.map((b: { verdict: string }) => b.verdict)).toEqual(['passed', 'passed'])
})

test('the gate fails on host 3: hosts 1-4 switched back, the router as before, history on every host', async () => {
  const before = routerCalls().length
  const r = await deploy('r3', 'broken on 127.0.0.3')
  expect(r.code).toBe(1)
  const errors = r.annotations.filter((a) => a.level === 'error').map((a) => a.message)
  expect(errors).toHaveLength(1)
  expect(errors[0]).toMatch(
    /^rolling stopped at batch 2\/2: web3: gate failed at http:\/\/127\.0\.0\.3:\d+\/healthz: .*status 503.*; switched back: web4, web3, web2, web1; router weights restored to web1=25,web2=25,web3=25,web4=25; every host switched back; release r3 marked bad$/
  )
  for (const a of ADDRS) {
    expect(current(a)).toBe('releases/r2')
    const h = history(a)
    expect(h.releases.find((x: { id: string }) => x.id === 'r3').status).toBe('bad')
    expect(h.events.at(-1)).toMatchObject({ kind: 'switch-back', from: 'r3', to: 'r2' })
  }
  const calls = routerCalls().slice(before)
  expect(calls.map((c) => c.weights)).toEqual([
    { web1: 0, web2: 0, web3: 50, web4: 50 },
    even,
    { web1: 50, web2: 50, web3: 0, web4: 0 },
    even
  ])
  expect(r.summary).toMatch(/\| 2 \| web3, web4 \| \d+ ms \| .* \| ❌ failed: web3: gate failed/)
  expect(r.summary).not.toContain('deploy@127.0.0.3')
  expect(r.summary).toContain('Every server was put back to its weight before the deploy.')
})
