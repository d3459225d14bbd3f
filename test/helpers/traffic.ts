// What the traffic system tests stand on: two real app instances (Node HTTP
// servers run from slots/blue and slots/green, each in its own process, each
// counting the requests it answered), HAProxy from Debian started on a free
// 127.0.0.1 port with its own config, and autocannon load that counts every
// failure by kind (non-2xx, timeouts, and request errors by code: resets).
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { canConnect, freePort, waitFor } from './http.js'

export const HAPROXY = process.env.GANTRY_HAPROXY ?? '/usr/sbin/haproxy'

export function requireHaproxy(): void {
  for (const [bin, pkg] of [
    [HAPROXY, 'haproxy'],
    ['/usr/bin/socat', 'socat']
  ])
    if (!existsSync(bin))
      throw new Error(`${bin} not found: install the Debian package (apt-get install -y ${pkg}); .ci/run does`)
}

const APP = `
import { createServer } from 'node:http'
const name = process.argv[2]
let count = 0
const held = []
// The behaviour a canary test sets (/__behave?delay=<ms>&spread=<σ>&errors=<share>): every other
// request is answered after a lognormal time with median delay ms and σ spread (as real latency
// varies; 0: exactly delay ms), and exactly that share of them (spread evenly: request n fails
// when floor(n × share) grows) with a 500.
let delay = 0
let spread = 0
let errors = 0
// Box-Muller: a standard normal from two uniforms.
const normal = () => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random())
const lognormal = () => delay * Math.exp(spread * normal())
let served = 0
let failed = 0
const server = createServer((req, res) => {
  if (req.url === '/__count') return res.end(String(count))
  if (req.url === '/__reset') { count = 0; return res.end('0') }
  // A request that stays open until told: a session a drain must wait for.
  if (req.url === '/__hold') { held.push(res); return }
  if (req.url === '/__release') { for (const r of held.splice(0)) r.end(name + ' held\\n'); return res.end('ok') }
  if (req.url.startsWith('/__behave')) {
    const q = new URL(req.url, 'http://app').searchParams
    delay = Number(q.get('delay') ?? 0)
    spread = Number(q.get('spread') ?? 0)
    errors = Number(q.get('errors') ?? 0)
    served = 0
    failed = 0
    return res.end('ok')
  }
  count++
  const fail = Math.floor(++served * errors) > failed
  if (fail) failed++
  const answer = () => {
    res.statusCode = fail ? 500 : 200
    res.setHeader('content-type', 'text/plain')
    res.end(name + '\\n')
  }
  if (delay > 0) setTimeout(answer, spread > 0 ? lognormal() : delay)
  else answer()
})
server.keepAliveTimeout = 65_000
server.listen(0, '127.0.0.1', () => console.log(String(server.address().port)))
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)) })
`

export interface App {
  name: string
  port: number
  address: string
  count(): Promise<number>
  reset(): Promise<void>
  /** Answers the requests held open by /__hold. */
  release(): Promise<void>
  /**
   * From now on: every request answered after delayMs (the median of a lognormal with σ `spread`
   * when given), and exactly errorRate of them (spread evenly) with a 500.
   */
  behave(o: { delayMs?: number; spread?: number; errorRate?: number }): Promise<void>
  stop(): Promise<void>
}

async function get(port: number, path: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) })
  return res.text()
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise<void>((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(t)
      resolve()
    })
    child.kill(signal)
  })
}

/** Starts `node slots/<name>/server.mjs` under root; it prints its port. */
export async function startApp(root: string, name: string): Promise<App> {
  const dir = join(root, 'slots', name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'server.mjs'), APP)
  const child = spawn(process.execPath, [join(dir, 'server.mjs'), name], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`app ${name} did not start within 10 s`)), 10_000)
    child.stdout!.setEncoding('utf8').once('data', (d: string) => {
      clearTimeout(t)
      resolve(Number(d.trim()))
    })
    child.once('exit', (c) => reject(new Error(`app ${name} exited with ${c}`)))
  })
  return {
    name,
    port,
    address: `127.0.0.1:${port}`,
    count: async () => Number(await get(port, '/__count')),
    reset: async () => void (await get(port, '/__reset')),
    release: async () => void (await get(port, '/__release')),
    behave: async (o) =>
      void (await get(port, `/__behave?delay=${o.delayMs ?? 0}&spread=${o.spread ?? 0}&errors=${o.errorRate ?? 0}`)),
    stop: () => stopChild(child)
  }
}

export interface Haproxy {
  port: number
  /** The runtime API on TCP too: `127.0.0.1:<port>`. */
  api: string
  url: string
  socket: string
  stateFile: string
  cfg: string
  stop(): Promise<void>
}

/** HAProxy in the foreground (-db) with a runtime API socket (level admin) and a server-state-file. */
export async function startHaproxy(
  dir: string,
  servers: Array<{ name: string; address: string; weight: number }>,
  port?: number
): Promise<Haproxy> {
  requireHaproxy()
  const p = port ?? (await freePort())
  const apiPort = await freePort()
  const socket = join(dir, 'admin.sock')
  const stateFile = join(dir, 'server-state')
  const cfg = join(dir, 'haproxy.cfg')
  writeFileSync(
    cfg,
    `global
  stats socket ${socket} mode 600 level admin
  stats socket ipv4@127.0.0.1:${apiPort} level admin
  server-state-file ${stateFile}
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  load-server-state-from-file global
frontend web
  bind 127.0.0.1:${p}
  default_backend app
backend app
  balance roundrobin
${servers.map((s) => `  server ${s.name} ${s.address} weight ${s.weight}`).join('\n')}
# A static algorithm: the runtime API refuses weights other than 0 and the configured one.
backend static
  balance static-rr
${servers.map((s) => `  server ${s.name} ${s.address} weight ${s.weight}`).join('\n')}
`
  )
  const child = spawn(HAPROXY, ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  let exited = false
  child.on('exit', () => (exited = true))
  await waitFor(async () => exited || ((await canConnect(p)) && existsSync(socket)), 10_000, `haproxy on ${p}`)
  if (exited) throw new Error(`haproxy exited at start: ${stderr}`)
  return {
    port: p,
    api: `127.0.0.1:${apiPort}`,
    url: `http://127.0.0.1:${p}`,
    socket,
    stateFile,
    cfg,
    stop: () => stopChild(child, 'SIGUSR1')
  }
}

// autocannon ships no types; this is the part of its API the tests use.
interface CannonResult {
  requests: { total: number }
  non2xx: number
  errors: number
  timeouts: number
  '2xx': number
}
interface CannonInstance {
  stop(): void
  on(event: 'reqError', f: (e: NodeJS.ErrnoException) => void): void
}
type Cannon = (
  opts: { url: string; connections: number; duration?: number; amount?: number; timeout: number },
  done: (err: Error | null, result: CannonResult) => void
) => CannonInstance
const autocannon = createRequire(import.meta.url)('autocannon') as Cannon

export interface LoadResult {
  total: number
  ok: number
  non2xx: number
  errors: number
  timeouts: number
  /** Request errors by code (ECONNRESET, …). */
  byCode: Record<string, number>
}

function summarise(r: CannonResult, byCode: Record<string, number>): LoadResult {
  return { total: r.requests.total, ok: r['2xx'], non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, byCode }
}

/** Load on `url` with `connections` keep-alive connections while `work` runs; stopped when it ends. */
export async function underLoad<T>(
  url: string,
  connections: number,
  work: () => Promise<T>
): Promise<{ load: LoadResult; value: T }> {
  const byCode: Record<string, number> = {}
  let instance: CannonInstance | undefined
  const done = new Promise<CannonResult>((resolve, reject) => {
    // duration is a bound only: stopped as soon as the work is done.
    instance = autocannon({ url, connections, duration: 150, timeout: 10 }, (err, result) =>
      err ? reject(err) : resolve(result)
    )
    instance.on('reqError', (e) => (byCode[e.code ?? e.message] = (byCode[e.code ?? e.message] ?? 0) + 1))
  })
  let value: T
  try {
    value = await work()
  } finally {
    instance!.stop()
  }
  return { load: summarise(await done, byCode), value }
}

/** Exactly `amount` requests over `connections` connections. */
export function requests(url: string, connections: number, amount: number): Promise<LoadResult> {
  const byCode: Record<string, number> = {}
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections, amount, timeout: 10 }, (err, result) =>
      err ? reject(err) : resolve(summarise(result, byCode))
    )
    instance.on('reqError', (e) => (byCode[e.code ?? e.message] = (byCode[e.code ?? e.message] ?? 0) + 1))
  })
}

export function resets(l: LoadResult): number {
  return Object.values(l.byCode).reduce((a, b) => a + b, 0)
}
