/**
 * `router: haproxy`: the runtime API (`router-socket`, a unix socket or
 * host:port, `stats socket … level admin`), no reload. A server given N%
 * gets `set server <backend>/<server> state ready` then `weight N` (HAProxy
 * weights are relative, 0-256: the percentage is the weight); 0% is
 * `weight 0`, and a server named in `drain` also gets `state drain` and the
 * step waits until its current sessions (`scur` of `show stat`) reach 0, or
 * `drain-timeout`. Servers gaining traffic are changed first, so there is
 * never a moment with no server to take a request. After every change the
 * `show servers state` output goes to `router-state-file` (atomically), so
 * a reload with `load-server-state-from-file` keeps drained servers drained.
 * Over ssh the socket is reached with `socat` on the router host.
 */
import { InputError, UserError, fields, optional } from '@gantry/core'
import type { Weights } from '@gantry/release'
import { existsSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import type { RouterHost, SocketAddress } from '../host.js'
import type { Router, RouterContext, RouterKindOf, RouterSaved } from '../router.js'
import { toPercent, type Server } from '../weights.js'

const inputs = {
  'router-socket': optional(fields.string()),
  'router-state-file': optional(fields.path())
}

/** Backend and server names as the runtime API takes them in `<backend>/<server>`. */
const HAPROXY_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/

export const SOCKET_FORM = 'a unix socket path (/run/haproxy/admin.sock) or host:port of the runtime API'

export function parseSocket(s: string): SocketAddress | undefined {
  if (s.startsWith('/') || s.startsWith('./') || s.startsWith('../')) return { kind: 'unix', path: s }
  const m = s.match(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/)
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return undefined
  return { kind: 'tcp', host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) }
}

export interface ServerState {
  backend: string
  name: string
  /** 0 stopped, 1 starting, 2 running, 3 stopping. */
  opState: number
  /** SRV_ADMF_* bits: 0x01/0x02/0x04/0x20/0x40 maintenance, 0x08/0x10 drain. */
  adminState: number
  uweight: number
  iweight: number
}

export class HaproxyAnswerError extends Error {}

/** `show servers state [<backend>]`: version line, `#` header naming the columns, one line per server. */
export function parseServersState(text: string): ServerState[] {
  const lines = text.split(/\r?\n/)
  const first = lines.findIndex((l) => l.trim() !== '')
  if (first < 0 || lines[first].trim() !== '1')
    throw new HaproxyAnswerError(`show servers state: unexpected answer '${lines[first]?.trim() ?? ''}'`)
  const header = lines.find((l) => l.startsWith('#'))
  if (!header) throw new HaproxyAnswerError('show servers state: the answer has no header line')
  const cols = header.replace(/^#\s*/, '').split(/\s+/)
  const at = (name: string) => {
    const i = cols.indexOf(name)
    if (i < 0) throw new HaproxyAnswerError(`show servers state: the answer has no ${name} column`)
    return i
  }
  const idx = {
    backend: at('be_name'),
    name: at('srv_name'),
    op: at('srv_op_state'),
    admin: at('srv_admin_state'),
    uw: at('srv_uweight'),
    iw: at('srv_iweight')
  }
  const out: ServerState[] = []
  for (const l of lines.slice(first + 1)) {
    if (l.trim() === '' || l.startsWith('#')) continue
    const f = l.trim().split(/\s+/)
    out.push({
      backend: f[idx.backend],
      name: f[idx.name],
      opState: Number(f[idx.op]),
      adminState: Number(f[idx.admin]),
      uweight: Number(f[idx.uw]),
      iweight: Number(f[idx.iw])
    })
  }
  return out
}

/** `show stat`: CSV with a `# pxname,svname,…` header; rows by proxy and server name. */
export function parseStat(text: string): Array<Record<string, string>> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  const header = lines.find((l) => l.startsWith('#'))
  if (!header) throw new HaproxyAnswerError('show stat: the answer has no header line')
  const cols = header.replace(/^#\s*/, '').split(',')
  return lines
    .filter((l) => !l.startsWith('#'))
    .map((l) => {
      const f = l.split(',')
      return Object.fromEntries(cols.map((c, i) => [c, f[i] ?? '']))
    })
}

/** Percent per server of `servers` (address = HAProxy server name); drained or in maintenance is 0%. */
export function stateWeights(states: ServerState[], backend: string, servers: readonly Server[]): Weights {
  const raw: Weights = {}
  for (const s of servers) {
    const st = states.find((x) => x.backend === backend && x.name === s.address)
    if (!st)
      throw new UserError(`HAProxy backend '${backend}' has no server '${s.address}' (servers: ${s.name}=${s.address})`)
    raw[s.name] = st.adminState !== 0 ? 0 : st.uweight
  }
  return toPercent(raw)
}

/**
 * The runtime API commands of a change, in order: servers gaining traffic
 * first (state ready, then the weight), so some server with weight takes new
 * requests at every moment; then those at 0% (weight 0, and state drain when
 * drained).
 */
export function applyCommands(
  backend: string,
  servers: readonly Server[],
  weights: Weights,
  drain: readonly string[]
): string[] {
  const id = (s: Server) => `${backend}/${s.address}`
  const out: string[] = []
  for (const s of servers.filter((s) => weights[s.name] > 0))
    out.push(`set server ${id(s)} state ready`, `set server ${id(s)} weight ${weights[s.name]}`)
  for (const s of servers.filter((s) => !(weights[s.name] > 0))) {
    out.push(`set server ${id(s)} weight 0`)
    if (drain.includes(s.name)) out.push(`set server ${id(s)} state drain`)
  }
  return out
}

/** What puts servers back as `show servers state` saw them (weight, and ready / drain / maint). */
export function restoreCommands(backend: string, servers: readonly Server[], states: ServerState[]): string[] {
  const out: string[] = []
  for (const s of servers) {
    const st = states.find((x) => x.backend === backend && x.name === s.address)
    if (!st) continue
    const state = st.adminState & 0x01 ? 'maint' : st.adminState & 0x08 ? 'drain' : 'ready'
    out.push(
      `set server ${backend}/${s.address} weight ${st.uweight}`,
      `set server ${backend}/${s.address} state ${state}`
    )
  }
  return out
}

class HaproxyRouter implements Router {
  constructor(
    private readonly host: RouterHost,
    private readonly o: {
      backend: string
      servers: Server[]
      socket: SocketAddress
      socketText: string
      stateFile?: string
      ctx: RouterContext
    }
  ) {}

  private ask(commands: string[], untilRefused = false): Promise<string[]> {
    return this.host.socket(this.o.socket, commands, this.o.ctx.timeoutMs, { untilRefused }).catch((e: unknown) => {
      throw new UserError((e as Error).message)
    })
  }

  private async states(): Promise<ServerState[]> {
    const [answer] = await this.ask([`show servers state ${this.o.backend}`])
    if (/^Can't find backend/i.test(answer.trim()))
      throw new UserError(`HAProxy has no backend '${this.o.backend}' (input 'upstream')`)
    try {
      return parseServersState(answer)
    } catch (e) {
      throw new UserError(`${(e as Error).message} (is ${this.o.socketText} HAProxy's runtime API?)`)
    }
  }

  async preflight(): Promise<void> {
    const { socket, socketText, stateFile } = this.o
    if (this.host.remote && socket.kind === 'unix' && !(await this.host.test('-S', socket.path)))
      throw new InputError(
        `Input 'router-socket' has invalid value '${socketText}': no socket there on ${this.host.name}; expected ${SOCKET_FORM}`
      )
    if (this.host.remote && stateFile && !(await this.host.test('-d', dirname(stateFile))))
      throw new InputError(
        `Input 'router-state-file' has invalid value '${stateFile}': ${dirname(stateFile)} is not a directory on ${this.host.name}; expected HAProxy's server-state-file path`
      )
    // Every server must exist in the backend before anything changes.
    stateWeights(await this.states(), this.o.backend, this.o.servers)
  }

  async read(): Promise<Weights> {
    return stateWeights(await this.states(), this.o.backend, this.o.servers)
  }

  async apply(weights: Weights, drain: readonly string[]): Promise<void> {
    const { ctx } = this.o
    const before = await this.states()
    const commands = applyCommands(this.o.backend, this.o.servers, weights, drain)
    const answers = await this.ask(commands, true)
    // A bare newline is success; anything else (or nothing at all) is a refusal.
    const refused = answers.findIndex((a) => a === '' || a.trim() !== '')
    if (refused >= 0 || answers.length < commands.length) {
      const why =
        refused < 0
          ? 'no answer'
          : answers[refused] === ''
            ? 'it closed the connection without answering'
            : answers[refused].trim().split(/\r?\n/)[0]
      const command = commands[refused >= 0 ? refused : answers.length]
      // The commands before it were applied: put the servers back as they were.
      const back = restoreCommands(this.o.backend, this.o.servers, before)
      let restored = 'put back as it was'
      try {
        const a = await this.ask(back, true)
        if (a.length < back.length || a.some((x) => x.trim() !== '')) restored = 'NOT put back: check the backend'
      } catch {
        restored = 'NOT put back: check the backend'
      }
      throw new UserError(`HAProxy refused '${command}': ${why}; the backend was ${restored}`)
    }
    ctx.log(`haproxy: ${commands.length} runtime API command(s) accepted`)
    await this.saveState()
    if (drain.length) await this.waitDrained(this.o.servers.filter((s) => drain.includes(s.name)))
  }

  async save(): Promise<RouterSaved> {
    const { backend, servers } = this.o
    const states = await this.states()
    const held = servers.filter((s) => states.some((x) => x.backend === backend && x.name === s.address))
    const weights = (out: readonly string[] = []) =>
      stateWeights(
        states.map((x) => (held.some((s) => s.address === x.name && out.includes(s.name)) ? { ...x, uweight: 0 } : x)),
        backend,
        held
      )
    return {
      held: held.map((s) => s.name),
      weights,
      restore: async (out = []) => {
        // Each server's own weight and state as read (maint stays maint); those left out at weight 0, drained.
        const kept = held.filter((s) => !out.includes(s.name))
        const commands = [
          ...restoreCommands(backend, kept, states),
          ...applyCommands(
            backend,
            held.filter((s) => out.includes(s.name)),
            {},
            out
          )
        ]
        const answers = await this.ask(commands, true)
        const refused = answers.findIndex((a) => a.trim() !== '')
        if (refused >= 0 || answers.length < commands.length)
          throw new UserError(
            `HAProxy refused '${commands[refused >= 0 ? refused : answers.length]}': ${refused >= 0 ? answers[refused].trim().split(/\r?\n/)[0] : 'no answer'}`
          )
        this.o.ctx.log(`haproxy: ${commands.length} runtime API command(s) accepted (state put back)`)
        await this.saveState()
      }
    }
  }

  /** `show servers state` (every backend: what `load-server-state-from-file global` reads) into the state file. */
  private async saveState(): Promise<void> {
    if (!this.o.stateFile) return
    const [answer] = await this.ask(['show servers state'])
    parseServersState(answer)
    await this.host.writeFileAtomic(this.o.stateFile, answer.replace(/\n+$/, '\n'))
    this.o.ctx.log(`haproxy: server state written to ${this.o.stateFile}`)
  }

  private async waitDrained(drained: Server[]): Promise<void> {
    const { backend, ctx } = this.o
    const deadline = performance.now() + ctx.drainTimeoutMs
    for (;;) {
      const [answer] = await this.ask([`show stat ${backend} 4 -1`])
      const rows = parseStat(answer)
      const left = drained
        .map((s) => ({ s, scur: Number(rows.find((r) => r.pxname === backend && r.svname === s.address)?.scur ?? 0) }))
        .filter((x) => x.scur > 0)
      for (const s of drained) {
        const l = left.find((x) => x.s === s)
        ctx.progress(`drain ${s.name}`, l ? 'draining' : 'drained', l ? `${l.scur} session(s) open` : '0 sessions')
      }
      if (left.length === 0) return
      if (performance.now() >= deadline) {
        ctx.warn(
          `drain-timeout (${ctx.drainTimeoutMs / 1000} s) passed with sessions still open: ${left.map((x) => `${x.s.name} ${x.scur}`).join(', ')}; they take no new requests and end on their own`
        )
        return
      }
      await new Promise((r) => setTimeout(r, 200))
    }
  }
}

export const haproxyKind = {
  name: 'haproxy' as const,
  inputs,
  secrets: [],
  check(v) {
    const text = v['router-socket']
    if (!text)
      throw new InputError(
        `Input 'router-socket' is required when router is haproxy: expected ${SOCKET_FORM} (stats socket … level admin)`
      )
    const socket = parseSocket(text)
    if (!socket) throw new InputError(`Input 'router-socket' has invalid value '${text}': expected ${SOCKET_FORM}`)
    if (!HAPROXY_NAME.test(v.upstream))
      throw new InputError(
        `Input 'upstream' has invalid value '${v.upstream}': expected an HAProxy backend name (letters, digits, '_', '.', ':', '-')`
      )
    for (const s of v.servers)
      if (!HAPROXY_NAME.test(s.address))
        throw new InputError(
          `Input 'servers' has invalid value '${s.name}=${s.address}': expected name=<server name in backend ${v.upstream}>, such as blue=blue`
        )
    if (v['router-host']) {
      // socat reads ':' ',' '!' and spaces in an address as its own syntax.
      if (socket.kind === 'unix' && /[\s:,!'"\\]/.test(socket.path))
        throw new InputError(
          `Input 'router-socket' has invalid value '${text}': with router-host the socket is reached with socat, which cannot take a path with spaces, quotes, ':', ',' or '!'; expected a plain path`
        )
      return
    }
    if (socket.kind === 'unix') {
      let ok = false
      try {
        ok = statSync(socket.path).isSocket()
      } catch {
        // not there
      }
      if (!ok)
        throw new InputError(
          `Input 'router-socket' has invalid value '${text}': ${existsSync(socket.path) ? 'it is not a socket' : 'it does not exist'}; expected ${SOCKET_FORM}`
        )
    }
    const state = v['router-state-file']
    if (state && !(existsSync(dirname(state)) && statSync(dirname(state)).isDirectory()))
      throw new InputError(
        `Input 'router-state-file' has invalid value '${state}': ${dirname(state)} does not exist; expected HAProxy's server-state-file path`
      )
  },
  make: (v, ctx) =>
    new HaproxyRouter(ctx.host, {
      backend: v.upstream,
      servers: v.servers,
      socket: parseSocket(v['router-socket']!)!,
      socketText: v['router-socket']!,
      stateFile: v['router-state-file'],
      ctx
    })
} satisfies RouterKindOf<typeof inputs>
