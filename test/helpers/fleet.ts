// A fleet of hosts on this machine for the rolling tests: n network namespaces
// made for the test run (`<prefix><pid>-<i>`), each with an address of its own
// on a bridge in the root namespace (a /24 in 10.0.0.0/8 no address or route
// here already covers), no route out (nothing is forwarded or NATed), and a
// mount namespace of its own in which the common path (the one `path` every
// host is deployed to) is that host's own directory. Each host runs sshd (the
// sshd helper's, on <address>:22, one client key for the fleet) and an app
// instance (fleet-app.mjs on <address>:8080). HAProxy from Debian in the root
// namespace goes in front with startHaproxy(). Needs root; stop() leaves no
// namespace, veth, bridge or process behind, and a run killed before its
// stop() is swept by the next startFleet.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { get } from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { askSocket, parseStat } from '@gantry/traffic'
import { canConnect, freePort, waitFor } from './http.js'
import { keygen, requireSsh, startSshd, type Sshd } from './sshd.js'
import type { TestUser } from './test-user.js'
import { HAPROXY, requireHaproxy } from './traffic.js'

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p)) ?? '/usr/sbin/ip'
const UNSHARE = '/usr/bin/unshare'
const NSENTER = '/usr/bin/nsenter'
const MOUNT = '/usr/bin/mount'
const APP = fileURLToPath(new URL('./fleet-app.mjs', import.meta.url))
export const APP_PORT = 8080

export interface FleetHost {
  /** web1, web2, …: the HAProxy server name too. */
  name: string
  /** The network namespace (`ip netns`). */
  ns: string
  /** The host's own address (10.a.b.11, .12, …). */
  address: string
  /** `user@address:22`, a line of the hosts input. */
  sshTarget: string
  /** The host's directory as the root namespace sees it; the host sees it at the common path. */
  dir: string
  /** `http://address:8080` */
  appUrl: string
  /** The root side of the host's veth pair (what cutOff sets down). */
  veth: string
  /** Runs a command as the host: in its network and mount namespaces. */
  prefix: string[]
  sshd: Sshd
}

export interface FleetOptions {
  hosts: number
  /** The start of every namespace and link name: 1-4 lowercase letters ('gf' unless told). */
  prefix?: string
  /** Each host starts with `<dir>/releases/r0` (HEALTHY) and `current -> releases/r0`. */
  initialRelease?: boolean
  /** Log in as this user (test-user.ts's createUser()), who owns every host's dir; the user running the test unless told. */
  user?: TestUser
}

export interface HaproxyOptions {
  mode?: 'http' | 'tcp'
  /** `address:port`; port 0 picks a free one (127.0.0.1:0 unless told). */
  listen?: string
  /** The backend's name ('app' unless told). */
  backend?: string
  /** Health checks: GET /healthz must answer 200 ('http', the default) or a TCP connect ('tcp'). */
  check?: 'http' | 'tcp'
  /** More lines for the backend section. */
  options?: string[]
  /** Return once every server has had its first health check (true unless told). */
  waitChecks?: boolean
}

export interface FleetHaproxy {
  url: string
  /** The runtime API, level admin. */
  socket: string
  stateFile: string
  cfg: string
  /** One runtime API command's answer. */
  ask(command: string): Promise<string>
  /** `show stat` rows of the backend's servers. */
  servers(): Promise<Array<Record<string, string>>>
  /** Writes `show servers state` to the state file (what a deploy does before a reload). */
  saveState(): Promise<void>
  /** A master-worker reload (SIGUSR2): resolves once a new worker answers; it loads the state file. */
  reload(): Promise<void>
  log(): string
  stop(): Promise<void>
}

export interface Fleet {
  id: string
  hosts: FleetHost[]
  host(name: string): FleetHost
  /** The path every host is deployed to; each host sees its own dir there. */
  commonPath: string
  /** The bridge's address (the hosts' default route and the address the root namespace talks from). */
  gateway: string
  bridge: string
  /** Every host's known-hosts line, one a line. */
  knownHosts: string
  /** The client's private key, accepted by every host. */
  sshKey: string
  startHaproxy(o?: HaproxyOptions): Promise<FleetHaproxy>
  /** Sets the host's veth down on the root side: nothing reaches it or comes from it. */
  cutOff(name: string): void
  /** Sets it up again and waits until the host's app accepts connections. */
  restore(name: string): Promise<void>
  stop(): Promise<void>
}

/** Fails clearly (never skips) when namespaces cannot be made here. */
export function requireFleet(): void {
  if (process.getuid?.() !== 0)
    throw new Error(
      'startFleet: needs root (network namespaces, veth pairs, a bridge and bind mounts); npm run test:system runs as root in CI'
    )
  for (const [bin, pkg] of [
    [IP, 'iproute2'],
    [UNSHARE, 'util-linux'],
    [NSENTER, 'util-linux'],
    [MOUNT, 'mount']
  ])
    if (!existsSync(bin))
      throw new Error(`startFleet: ${bin} not found: install the Debian package (apt-get install -y ${pkg})`)
  requireSsh()
}

function ip(args: string[]): string {
  try {
    return execFileSync(IP, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (e) {
    const err = e as { stderr?: string; message: string }
    throw new Error(`ip ${args.join(' ')}: ${(err.stderr || err.message).trim()}`)
  }
}

/** What a failed `ip` most likely lacks. */
const why = (e: unknown, otherwise: string): string =>
  /not permitted|permission denied/i.test((e as Error).message)
    ? ' (root without CAP_NET_ADMIN and CAP_SYS_ADMIN here: a container or user namespace that lacks them cannot make namespaces)'
    : ` (${otherwise})`

const quiet = (f: () => unknown): void => {
  try {
    f()
  } catch {
    // cleanup goes on
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const netnsList = (): string[] =>
  ip(['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean)

const linkList = (): string[] =>
  ip(['-o', 'link', 'show'])
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0])
    .filter((n): n is string => Boolean(n))

const netnsPids = (ns: string): number[] => {
  try {
    return ip(['netns', 'pids', ns]).split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

function destroyNetns(ns: string): void {
  for (const pid of netnsPids(ns)) quiet(() => process.kill(pid, 'SIGKILL'))
  quiet(() => ip(['netns', 'del', ns]))
}

/** Namespaces and links of fleets whose test process is gone (killed before its stop()). */
function sweepStale(prefix: string): void {
  const owner = (name: string, re: RegExp): number | undefined => {
    const m = re.exec(name)
    return m ? Number(m[1]) : undefined
  }
  const nsRe = new RegExp(`^${prefix}(\\d+)[a-z]?-\\d+$`)
  const linkRe = new RegExp(`^${prefix}(\\d+)[a-z]?(?:br|v\\d+)$`)
  for (const ns of netnsList()) {
    const pid = owner(ns, nsRe)
    if (pid !== undefined && pid !== process.pid && !alive(pid)) destroyNetns(ns)
  }
  for (const link of linkList()) {
    const pid = owner(link, linkRe)
    if (pid !== undefined && pid !== process.pid && !alive(pid)) quiet(() => ip(['link', 'del', link]))
  }
  const dirRe = new RegExp(`^gantry-fleet-${prefix}(\\d+)[a-z]?-`)
  for (const d of readdirSync(tmpdir())) {
    const pid = owner(d, dirRe)
    if (pid !== undefined && pid !== process.pid && !alive(pid))
      rmSync(join(tmpdir(), d), { recursive: true, force: true })
  }
}

const toInt = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0) >>> 0

/** Networks (address, prefix length) this namespace already has an address or a route in. */
function usedNetworks(): Array<[number, number]> {
  const nets: Array<[number, number]> = []
  const add = (cidr: string) => {
    const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?$/.exec(cidr)
    if (m) nets.push([toInt(m[1]), m[2] === undefined ? 32 : Number(m[2])])
  }
  for (const l of ip(['-4', '-o', 'addr', 'show']).split('\n')) add(/\binet (\S+)/.exec(l)?.[1] ?? '')
  for (const l of ip(['-4', 'route', 'show', 'table', 'all']).split('\n')) {
    const first = l.trim().split(/\s+/)
    // `broadcast 10.1.2.255 dev …`, `local …` in the local table: the address is the second word.
    add(['broadcast', 'local', 'unicast', 'anycast', 'multicast'].includes(first[0]) ? first[1] : first[0])
  }
  return nets
}

/** A /24 in 10.0.0.0/8 derived from the pid, moved on while it would overlap anything here. */
function pickSubnet(seed: number): string {
  const used = usedNetworks()
  const overlaps = (net: number) =>
    used.some(([n, len]) => {
      const l = Math.min(24, len)
      const mask = l === 0 ? 0 : (0xffffffff << (32 - l)) >>> 0
      return (n & mask) >>> 0 === (net & mask) >>> 0
    })
  for (let k = 0; k < 65536; k++) {
    const idx = (seed + k * 257) % 65536
    const [a, b] = [idx >> 8, idx & 255]
    if (a === 0 || a === 255) continue
    if (!overlaps(toInt(`10.${a}.${b}.0`))) return `10.${a}.${b}`
  }
  throw new Error('startFleet: every /24 in 10.0.0.0/8 overlaps an address or route here')
}

/** Resolves with the child's first stdout line; rejects when it exits first or after timeoutMs. */
function firstLine(child: ChildProcess, what: string, timeoutMs: number, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    const t = setTimeout(
      () => reject(new Error(`${what} did not start within ${timeoutMs / 1000} s: ${stderr()}`)),
      timeoutMs
    )
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d
      const nl = out.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(t)
        resolve(out.slice(0, nl))
      }
    })
    child.once('exit', (code, sig) => {
      clearTimeout(t)
      reject(new Error(`${what} exited at start (${code ?? sig}): ${stderr()}`))
    })
  })
}

/** SIGTERM to the child's process group, SIGKILL after 5 s; resolves once it exited. */
async function stopGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const done = new Promise<void>((r) => child.once('exit', () => r()))
  const kill = (s: NodeJS.Signals) => quiet(() => process.kill(-child.pid!, s))
  kill(signal)
  const t = setTimeout(() => kill('SIGKILL'), 5000)
  await done
  clearTimeout(t)
}

/** A TCP connect to address:port within ms (a cut-off host's connect would hang for seconds). */
export function reachable(address: string, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port, timeout: ms })
    const end = (ok: boolean) => {
      s.destroy()
      resolve(ok)
    }
    s.once('connect', () => end(true))
    s.once('timeout', () => end(false))
    s.once('error', () => end(false))
  })
}

/**
 * One GET on a connection of its own, closed after (fetch would keep it alive in its global pool,
 * and a socket to a host whose namespace is gone holds the test process open for its idle timeout).
 */
export function httpGet(url: string, ms = 3000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: ms }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${ms} ms`)))
    req.on('error', reject)
  })
}

let fleets = 0

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  requireFleet()
  const prefix = o.prefix ?? 'gf'
  if (!/^[a-z]{1,4}$/.test(prefix)) throw new Error(`startFleet: prefix '${prefix}' must be 1-4 lowercase letters`)
  if (!Number.isInteger(o.hosts) || o.hosts < 1 || o.hosts > 99)
    throw new Error(`startFleet: hosts must be 1 to 99, not ${o.hosts}`)
  const seq = fleets++
  if (seq > 25) throw new Error('startFleet: at most 26 fleets per process')
  // ≤ 15 characters for every link name: gf + 7-digit pid + a letter + v99.
  const id = `${prefix}${process.pid}${seq ? String.fromCharCode(97 + seq) : ''}`
  sweepStale(prefix)

  const root = mkdtempSync(join(tmpdir(), `gantry-fleet-${id}-`))
  // The user reaches the common path through it.
  if (o.user) chmodSync(root, 0o755)
  const commonPath = join(root, 'fleet-srv')
  mkdirSync(commonPath)
  const bridge = `${id}br`
  const namespaces: string[] = []
  const links: string[] = []
  const children: ChildProcess[] = []
  const haproxies: FleetHaproxy[] = []
  const hosts: FleetHost[] = []
  const sshds: Sshd[] = []
  let stopping: Promise<void> | undefined

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const h of [...haproxies]) await h.stop().catch(() => undefined)
      // Everything in a host's network namespace: sshd and its sessions, the app, the holder, anything a test ran.
      for (const ns of namespaces) for (const pid of netnsPids(ns)) quiet(() => process.kill(pid, 'SIGKILL'))
      for (const c of children) quiet(() => process.kill(-c.pid!, 'SIGKILL'))
      await Promise.all(sshds.map((s) => s.stop().catch(() => undefined)))
      await waitFor(() => namespaces.every((ns) => netnsPids(ns).length === 0), 10_000, 'the processes').catch(
        () => undefined
      )
      for (const ns of namespaces) quiet(() => ip(['netns', 'del', ns]))
      // A veth goes with its namespace; one not moved in yet, or not gone yet, is deleted here.
      const present = new Set(linkList())
      for (const l of [...links, bridge]) if (present.has(l)) quiet(() => ip(['link', 'del', l]))
      rmSync(root, { recursive: true, force: true })
      const left = () => {
        const ls = new Set(linkList())
        const pids = namespaces.flatMap((ns) => netnsPids(ns))
        return [
          ...netnsList().filter((n) => namespaces.includes(n)),
          ...[...links, bridge].filter((l) => ls.has(l)),
          ...pids.map((p) => `pid ${p}`)
        ]
      }
      await waitFor(() => left().length === 0, 10_000, 'the fleet to go').catch(() => {
        throw new Error(`fleet ${id}: stop() left ${left().join(', ')}`)
      })
    })())

  try {
    const net = pickSubnet(process.pid * 31 + seq * 7919)
    const gateway = `${net}.1`
    try {
      ip(['link', 'add', bridge, 'type', 'bridge'])
      links.push(bridge)
    } catch (e) {
      throw new Error(
        `startFleet: could not create the bridge ${bridge}: ${(e as Error).message}${why(e, "the kernel's bridge module?")}`
      )
    }
    ip(['addr', 'add', `${gateway}/24`, 'dev', bridge])
    ip(['link', 'set', bridge, 'up'])
    const client = keygen(join(root, 'client'))

    const plan = Array.from({ length: o.hosts }, (_, k) => {
      const i = k + 1
      return { i, name: `web${i}`, ns: `${id}-${i}`, veth: `${id}v${i}`, address: `${net}.${10 + i}` }
    })
    for (const p of plan) {
      try {
        ip(['netns', 'add', p.ns])
      } catch (e) {
        throw new Error(
          `startFleet: could not create the network namespace ${p.ns}: ${(e as Error).message}${why(e, 'CONFIG_NET_NS?')}`
        )
      }
      namespaces.push(p.ns)
      const peer = `${id}p${p.i}`
      ip(['link', 'add', p.veth, 'type', 'veth', 'peer', 'name', peer])
      links.push(p.veth)
      ip(['link', 'set', peer, 'netns', p.ns])
      ip(['link', 'set', p.veth, 'master', bridge, 'up'])
      ip(['-n', p.ns, 'link', 'set', 'lo', 'up'])
      ip(['-n', p.ns, 'addr', 'add', `${p.address}/24`, 'dev', peer])
      ip(['-n', p.ns, 'link', 'set', peer, 'up'])
      ip(['-n', p.ns, 'route', 'add', 'default', 'via', gateway])
    }

    const startHost = async (p: (typeof plan)[number]): Promise<FleetHost> => {
      const dir = join(root, 'hosts', p.name)
      mkdirSync(dir, { recursive: true })
      if (o.initialRelease) {
        mkdirSync(join(dir, 'releases', 'r0'), { recursive: true })
        writeFileSync(join(dir, 'releases', 'r0', 'HEALTHY'), '')
        symlinkSync('releases/r0', join(dir, 'current'))
      }
      o.user?.own(dir)
      // The holder keeps the host's mount namespace (the common path bound to the host's dir); every
      // process of the host enters it and the network namespace with nsenter. It ends with the test
      // process (cat reads its stdin until then).
      const holder = spawn(
        IP,
        [
          'netns',
          'exec',
          p.ns,
          UNSHARE,
          '--mount',
          '--propagation',
          'private',
          '--',
          '/bin/sh',
          '-c',
          'mount --bind "$1" "$2" && echo $$ && exec cat',
          'sh',
          dir,
          commonPath
        ],
        { detached: true, stdio: ['pipe', 'pipe', 'pipe'] }
      )
      children.push(holder)
      let holderErr = ''
      holder.stderr!.setEncoding('utf8').on('data', (d: string) => (holderErr += d))
      const pid = Number(await firstLine(holder, `${p.name}'s mount namespace`, 10_000, () => holderErr))
      const prefix = [NSENTER, '-t', String(pid), '-n', '-m', '--']

      const sshd = await startSshd({ client, listen: p.address, port: 22, prefix, user: o.user?.name })
      sshds.push(sshd)

      const app = spawn(
        prefix[0],
        [...prefix.slice(1), process.execPath, APP, commonPath, p.address, String(APP_PORT), p.name],
        {
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe']
        }
      )
      children.push(app)
      let appErr = ''
      app.stderr!.setEncoding('utf8').on('data', (d: string) => (appErr += d))
      await firstLine(app, `${p.name}'s app`, 10_000, () => appErr)
      const appUrl = `http://${p.address}:${APP_PORT}`
      await waitFor(
        () =>
          httpGet(`${appUrl}/healthz`, 2000).then(
            (r) => r.status === 200 || r.status === 503,
            () => false
          ),
        10_000,
        `${p.name}'s app answering ${appUrl}/healthz`
      )
      return {
        name: p.name,
        ns: p.ns,
        address: p.address,
        sshTarget: sshd.host,
        dir,
        appUrl,
        veth: p.veth,
        prefix,
        sshd
      }
    }
    hosts.push(
      ...(await Promise.all(
        plan.map((p) =>
          startHost(p).catch((e: Error) => {
            throw new Error(`startFleet: ${p.name} (${p.ns}, ${p.address}): ${e.message}`)
          })
        )
      ))
    )

    const host = (name: string): FleetHost => {
      const h = hosts.find((x) => x.name === name)
      if (!h) throw new Error(`fleet: no host ${name} (${hosts.map((x) => x.name).join(', ')})`)
      return h
    }

    let nHaproxy = 0
    const startFleetHaproxy = async (h: HaproxyOptions = {}): Promise<FleetHaproxy> => {
      requireHaproxy()
      const backend = h.backend ?? 'app'
      const listen = h.listen ?? '127.0.0.1:0'
      const m = /^(.+):(\d+)$/.exec(listen)
      if (!m) throw new Error(`startHaproxy: listen '${listen}' is not address:port`)
      const port = Number(m[2]) || (await freePort())
      const dir = join(root, `haproxy-${++nHaproxy}`)
      mkdirSync(dir)
      const socket = join(dir, 'admin.sock')
      const stateFile = join(dir, 'server-state')
      const cfg = join(dir, 'haproxy.cfg')
      writeFileSync(
        cfg,
        `global
  stats socket ${socket} mode 600 level admin
  server-state-file ${stateFile}
defaults
  mode ${h.mode ?? 'http'}
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout check 1s
  load-server-state-from-file global
frontend web
  bind ${m[1]}:${port}
  default_backend ${backend}
backend ${backend}
  balance roundrobin
${(h.check ?? 'http') === 'http' ? '  option httpchk GET /healthz\n' : ''}${(h.options ?? []).map((l) => `  ${l}\n`).join('')}${hosts
          .map((x) => `  server ${x.name} ${x.address}:${APP_PORT} check inter 500 weight 100`)
          .join('\n')}
`
      )
      // Master-worker (-W) so that reload() is HAProxy's own (SIGUSR2), in the foreground (-db).
      const child = spawn(HAPROXY, ['-W', '-db', '-f', cfg], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      const ask = (command: string) => askSocket({ kind: 'unix', path: socket }, command, 5000)
      const workerPid = async (): Promise<string | undefined> =>
        /^Pid: (\d+)$/m.exec(await ask('show info').catch(() => ''))?.[1]
      const servers = async () =>
        parseStat(await ask(`show stat ${backend} 4 -1`)).filter((r) => r.svname !== 'BACKEND')
      const exited = () => child.exitCode !== null || child.signalCode !== null
      const r: FleetHaproxy = {
        url: `http://${m[1]}:${port}`,
        socket,
        stateFile,
        cfg,
        ask,
        servers,
        async saveState() {
          writeFileSync(stateFile, await ask('show servers state'))
        },
        async reload() {
          const before = await workerPid()
          quiet(() => process.kill(child.pid!, 'SIGUSR2'))
          await waitFor(
            async () => exited() || ((await workerPid()) ?? before) !== before,
            10_000,
            'a new haproxy worker after the reload'
          )
          if (exited()) throw new Error(`haproxy exited at reload: ${stderr}`)
        },
        log: () => stderr,
        stop: async () => {
          await stopGroup(child)
          const k = haproxies.indexOf(r)
          if (k >= 0) haproxies.splice(k, 1)
        }
      }
      haproxies.push(r)
      try {
        await waitFor(
          async () => exited() || ((await canConnect(port, m[1])) && (await workerPid()) !== undefined),
          10_000,
          `haproxy on ${listen} and its socket answering show info`
        )
        if (exited()) throw new Error(`haproxy exited at start: ${stderr}`)
        if (h.waitChecks ?? true)
          await waitFor(
            async () => (await servers()).every((s) => s.check_status !== '' && !/INI/.test(s.check_status)),
            10_000,
            'every server’s first health check'
          )
      } catch (e) {
        await r.stop()
        throw e
      }
      return r
    }

    return {
      id,
      hosts,
      host,
      commonPath,
      gateway,
      bridge,
      knownHosts: hosts.map((h) => h.sshd.knownHosts).join('\n') + '\n',
      sshKey: client.priv,
      startHaproxy: startFleetHaproxy,
      cutOff: (name) => void ip(['link', 'set', host(name).veth, 'down']),
      async restore(name) {
        const h = host(name)
        ip(['link', 'set', h.veth, 'up'])
        await waitFor(() => reachable(h.address, APP_PORT, 500), 10_000, `${name}'s app reachable again`)
      },
      stop
    }
  } catch (e) {
    await stop().catch(() => undefined)
    throw e
  }
}
