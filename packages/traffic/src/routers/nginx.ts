/**
 * `router: nginx`: Gantry owns one include file (`router-config`) holding the
 * `upstream <upstream> { … }` block. A change writes it atomically (temp file
 * beside it, rename), runs `nginx -t`, then `nginx -s reload` (graceful: old
 * workers finish their connections). A failed test puts the previous file
 * back (or removes the new one when there was none) and fails with nginx's
 * own message. Weights are nginx's relative `weight=N`, given as the
 * percentages themselves; 0% is `down`. Directives of the block other than
 * `server` (keepalive, least_conn, zone, …) are kept as they are.
 */
import { InputError, UserError, fields, optional } from '@gantry/core'
import type { Weights } from '@gantry/release'
import { existsSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import type { RouterHost } from '../host.js'
import type { Router, RouterContext, RouterKindOf, RouterSaved } from '../router.js'
import { toPercent, type Server } from '../weights.js'

const inputs = {
  'router-config': optional(fields.path()),
  'router-args': optional(fields.string())
}

export const NGINX_UPSTREAM = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/
/** host:port, [v6]:port, a name, or unix:/path: one word nginx reads as written. */
const NGINX_ADDRESS = /^[^\s;{}#'"\\$]+$/

const HEADER = "# Written by Gantry's traffic action (router: nginx); the next change replaces this file.\n"

export interface UpstreamBlock {
  servers: Array<{ address: string; weight: number; down: boolean; name?: string }>
  /** The block's other directives, as written (keepalive 16;). */
  extras: string[]
}

export function renderUpstream(upstream: string, servers: readonly Server[], weights: Weights, extras: string[] = []) {
  const lines = servers.map((s) => {
    const w = weights[s.name] ?? 0
    return `    server ${s.address} ${w > 0 ? `weight=${w}` : 'down'}; # gantry: ${s.name}`
  })
  return `${HEADER}upstream ${upstream} {\n${[...lines, ...extras.map((e) => `    ${e}`)].join('\n')}\n}\n`
}

export class NginxConfigError extends Error {}

/** The `upstream <name>` block of an include Gantry wrote; undefined when the file has none. */
export function parseUpstream(text: string, upstream: string): UpstreamBlock | undefined {
  const esc = upstream.replace(/[.]/g, '\\.')
  const m = text.match(new RegExp(`(?:^|\\n)\\s*upstream\\s+${esc}\\s*\\{([^}]*)\\}`))
  if (!m) return undefined
  const block: UpstreamBlock = { servers: [], extras: [] }
  for (const raw of m[1].split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const s = line.match(/^server\s+(\S+?)((?:\s+[^;#]*)?);\s*(?:#\s*gantry:\s*(\S+))?\s*$/)
    if (!s) {
      block.extras.push(line)
      continue
    }
    const params = s[2].trim().split(/\s+/).filter(Boolean)
    const w = params.find((p) => p.startsWith('weight='))
    const weight = w ? Number(w.slice('weight='.length)) : 1
    if (!Number.isInteger(weight) || weight < 0)
      throw new NginxConfigError(`upstream ${upstream}: '${line}' has a weight nginx does not take`)
    block.servers.push({ address: s[1], weight, down: params.includes('down'), name: s[3] })
  }
  return block
}

/** The block's line of each server of `servers` (by address, else by Gantry's name comment). */
function blockLines(block: UpstreamBlock, servers: readonly Server[]) {
  return servers.map((s) => ({
    s,
    line: block.servers.find((b) => b.address === s.address) ?? block.servers.find((b) => b.name === s.name)
  }))
}

/** nginx's own weight per server of `servers` (down, or a server the block lacks, is 0). */
export function rawBlockWeights(block: UpstreamBlock, servers: readonly Server[]): Weights {
  const raw: Weights = {}
  for (const { s, line } of blockLines(block, servers)) raw[s.name] = !line || line.down ? 0 : line.weight
  return raw
}

/** The percent per server of `servers` a block gives (a server the block lacks has 0%). */
export function blockWeights(block: UpstreamBlock, servers: readonly Server[]): Weights {
  return toPercent(rawBlockWeights(block, servers))
}

/** nginx's own reason: its first [emerg]/[alert]/[crit]/[error] line (warnings are not why it failed). */
export function nginxMessage(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
  const line = lines.find((l) => /\[(emerg|alert|crit|error)\]/.test(l)) ?? lines.at(-1) ?? ''
  // `nginx: [emerg] …`, or in error-log form `2026/12/04 02:16:11 [emerg] 13107#13107: …`.
  return line.replace(/^nginx: /, '').replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d (\[\w+\]) \d+#\d+: /, '$1 ')
}

export function splitArgs(s: string | undefined): string[] {
  return (s ?? '').split(/\s+/).filter(Boolean)
}

export interface NginxProcess {
  pid: number
  ppid: number
  /** The command line, NULs as spaces: nginx's own title (`nginx: worker process`). */
  title: string
}

/**
 * Lists nginx's processes from /proc with shell builtins (no `ps`, which slim
 * images lack): `S <stat line>` for every process whose name is nginx, then
 * `C <pid> <cmdline>`. One run per look, locally or on the router host.
 */
export const PROC_SCRIPT = `for d in /proc/[0-9]*; do
  read -r s 2>/dev/null <"$d/stat" || continue
  case "$s" in *' (nginx) '*) ;; *) continue ;; esac
  printf 'S %s\\n' "$s"
  printf 'C %s ' "\${d#/proc/}"
  tr '\\000' ' ' 2>/dev/null <"$d/cmdline"
  echo
done`

/**
 * PROC_SCRIPT's output. The stat line is `pid (comm) state ppid …`; comm may
 * hold spaces and parentheses, so the fields after it are taken after the last
 * `)`. A process that ended between its two lines is left out.
 */
export function parseProcTable(text: string): NginxProcess[] {
  const stat = new Map<number, number>()
  const out: NginxProcess[] = []
  for (const line of text.split('\n')) {
    if (line.startsWith('S ')) {
      const pid = Number(line.slice(2).match(/^(\d+) \(/)?.[1])
      const after = line
        .slice(line.lastIndexOf(')') + 1)
        .trim()
        .split(/\s+/)
      const ppid = Number(after[1])
      if (Number.isInteger(pid) && Number.isInteger(ppid)) stat.set(pid, ppid)
    } else if (line.startsWith('C ')) {
      const m = line.match(/^C (\d+) (.*)$/)
      const pid = Number(m?.[1])
      if (m && stat.has(pid)) out.push({ pid, ppid: stat.get(pid)!, title: m[2].trim() })
    }
  }
  return out
}

export const isMaster = (p: NginxProcess) => /^nginx: master process\b/.test(p.title)

/** nginx masters whose command line holds `args` (router-args) as written: all of them when there are none. */
export function findMasters(procs: readonly NginxProcess[], args: readonly string[]): NginxProcess[] {
  return procs.filter((p) => {
    if (!isMaster(p)) return false
    const words = p.title.split(/\s+/).slice(3)
    return args.length === 0 || words.some((_, i) => args.every((a, j) => words[i + j] === a))
  })
}

class NginxRouter implements Router {
  constructor(
    private readonly host: RouterHost,
    private readonly o: {
      upstream: string
      servers: Server[]
      config: string
      args: string[]
      ctx: RouterContext
    }
  ) {}

  async preflight(): Promise<void> {
    const dir = dirname(this.o.config)
    if (this.host.remote && !(await this.host.test('-d', dir)))
      throw new InputError(
        `Input 'router-config' has invalid value '${this.o.config}': ${dir} is not a directory on ${this.host.name}; expected a file in an existing directory (the include nginx.conf loads)`
      )
    if (await this.host.test('-d', this.o.config))
      throw new InputError(
        `Input 'router-config' has invalid value '${this.o.config}': it is a directory; expected the include file Gantry owns`
      )
  }

  async read(): Promise<Weights | undefined> {
    const text = await this.host.readFile(this.o.config)
    if (text === undefined) return undefined
    let block
    try {
      block = parseUpstream(text, this.o.upstream)
    } catch (e) {
      throw new UserError(`${this.o.config}: ${(e as Error).message}`)
    }
    return block ? blockWeights(block, this.o.servers) : undefined
  }

  private async nginx(what: string[]): Promise<{ ok: boolean; message: string; stdout: string }> {
    const argv = ['nginx', ...this.o.args, ...what]
    const r = await this.host.run(argv, { timeoutMs: this.o.ctx.timeoutMs })
    if (r.timedOut)
      return {
        ok: false,
        message: `${argv.join(' ')} did not finish within ${this.o.ctx.timeoutMs / 1000} s`,
        stdout: ''
      }
    if (r.code === 127 || (r.code === null && /ENOENT/.test(r.stderr)))
      return { ok: false, message: `nginx is not installed (or not on PATH) on ${this.host.name}`, stdout: '' }
    return { ok: r.code === 0, message: nginxMessage(r.stderr) || `exit ${r.code}`, stdout: r.stdout }
  }

  /** nginx's processes on the router host, from /proc (undefined when /proc cannot be read there). */
  private async processes(): Promise<NginxProcess[] | undefined> {
    const r = await this.host.run(['sh', '-c', PROC_SCRIPT], { timeoutMs: this.o.ctx.timeoutMs })
    if (r.timedOut || r.code !== 0) return undefined
    return parseProcTable(r.stdout)
  }

  /** The master's children: pid → title. A worker told to stop retitles itself `… is shutting down`. */
  private async children(master: number): Promise<Map<number, string> | undefined> {
    const procs = await this.processes()
    return procs && new Map(procs.filter((p) => p.ppid === master).map((p) => [p.pid, p.title]))
  }

  /**
   * The master this configuration belongs to: the pid file the dumped configuration names, when
   * it holds an nginx master's pid; else the one nginx master whose command line holds router-args.
   */
  private async master(dump: string): Promise<{ pid: number; how: string } | undefined> {
    const procs = await this.processes()
    if (!procs) return undefined
    const file = dump.match(/^\s*pid\s+([^;\s]+)\s*;/m)?.[1] ?? '/run/nginx.pid'
    if (file.startsWith('/')) {
      let text: string | undefined
      try {
        text = await this.host.readFile(file)
      } catch {
        // unreadable: found by its command line instead
      }
      const pid = Number(text?.trim())
      if (procs.some((p) => p.pid === pid && isMaster(p))) return { pid, how: `pid file ${file}` }
    }
    const masters = findMasters(procs, this.o.args)
    return masters.length === 1 ? { pid: masters[0].pid, how: 'its command line' } : undefined
  }

  async apply(weights: Weights, _drain: readonly string[]): Promise<void> {
    const { config, upstream } = this.o
    const old = await this.host.readFile(config)
    let extras: string[] = []
    try {
      extras = (old && parseUpstream(old, upstream)?.extras) || []
    } catch {
      // A block Gantry cannot read is replaced whole.
    }
    await this.install(renderUpstream(upstream, this.o.servers, weights, extras), old)
  }

  async save(): Promise<RouterSaved | undefined> {
    const { config, upstream, servers } = this.o
    const text = await this.host.readFile(config)
    let block: UpstreamBlock | undefined
    try {
      block = text === undefined ? undefined : parseUpstream(text, upstream)
    } catch (e) {
      throw new UserError(`${config}: ${(e as Error).message}`)
    }
    if (text === undefined || !block) return undefined
    const raw = rawBlockWeights(block, servers)
    const without = (out: readonly string[]) =>
      Object.fromEntries(Object.entries(raw).map(([k, n]) => [k, out.includes(k) ? 0 : n]))
    return {
      held: blockLines(block, servers)
        .filter((x) => x.line)
        .map((x) => x.s.name),
      weights: (out = []) => toPercent(without(out)),
      // The file as it was, byte for byte; with servers left out, its weights re-rendered.
      restore: async (out = []) =>
        this.install(
          out.length ? renderUpstream(upstream, servers, without(out), block.extras) : text,
          await this.host.readFile(config)
        )
    }
  }

  /** Writes the include, tests it and reloads nginx; on any failure `old` is put back. */
  private async install(text: string, old: string | undefined): Promise<void> {
    const { config, ctx } = this.o
    await this.host.writeFileAtomic(config, text)
    const putBack = async () => {
      if (old === undefined) await this.host.removeFile(config)
      else await this.host.writeFileAtomic(config, old)
    }
    const was = old === undefined ? 'removed' : 'put back'
    // -T: the test of -t, and the configuration printed, which names the pid file.
    const test = await this.nginx(['-T'])
    if (!test.ok) {
      await putBack()
      throw new UserError(`nginx -t failed, so ${config} was ${was} and traffic is unchanged: ${test.message}`)
    }
    const master = await this.master(test.stdout)
    const before = master ? await this.children(master.pid) : undefined
    const reload = await this.nginx(['-s', 'reload'])
    if (!reload.ok) {
      // The running nginx keeps its old config: the file says so again.
      await putBack()
      throw new UserError(`nginx -s reload failed, so ${config} was ${was} and traffic is unchanged: ${reload.message}`)
    }
    if (!master || !before) {
      ctx.log(
        `nginx: ${config} written, nginx -t passed, reload signalled (${master ? 'its workers cannot be listed from /proc' : 'its master is not found in /proc (no pid file naming it, and not exactly one master with router-args in its command line)'}: not waited for)`
      )
      return
    }
    // The signal is asynchronous: the new weights are live once the master has started new
    // workers and every old one has stopped taking connections (or is gone).
    const deadline = performance.now() + ctx.timeoutMs
    for (;;) {
      const now = await this.children(master.pid)
      const started = now && [...now.keys()].some((p) => !before.has(p))
      const oldOnes = now ? [...now].filter(([p]) => before.has(p)) : []
      if (started && oldOnes.every(([, title]) => /shutting down/.test(title))) break
      if (performance.now() >= deadline) {
        await putBack()
        throw new UserError(
          `nginx did not switch to new workers within ${ctx.timeoutMs / 1000} s of the reload signal (its error log says why), so ${config} was ${was}; the running nginx keeps its previous configuration`
        )
      }
      await new Promise((r) => setTimeout(r, 10))
    }
    ctx.log(
      `nginx: ${config} written, nginx -t passed, reloaded (new workers of master ${master.pid} running; the master found by ${master.how})`
    )
  }
}

export const nginxKind = {
  name: 'nginx' as const,
  inputs,
  secrets: [],
  check(v) {
    const config = v['router-config']
    if (!config)
      throw new InputError(
        "Input 'router-config' is required when router is nginx: expected the include file Gantry owns, e.g. /etc/nginx/conf.d/gantry-app.conf"
      )
    if (!NGINX_UPSTREAM.test(v.upstream))
      throw new InputError(
        `Input 'upstream' has invalid value '${v.upstream}': expected an nginx upstream name (letters, digits, '_', '.', '-')`
      )
    for (const s of v.servers)
      if (!NGINX_ADDRESS.test(s.address))
        throw new InputError(
          `Input 'servers' has invalid value '${s.name}=${s.address}': expected an nginx server address such as 127.0.0.1:3001 or unix:/run/app.sock`
        )
    if (!v['router-host']) {
      const dir = dirname(config)
      if (!existsSync(dir) || !statSync(dir).isDirectory())
        throw new InputError(
          `Input 'router-config' has invalid value '${config}': ${dir} does not exist; expected a file in an existing directory (the include nginx.conf loads)`
        )
    }
  },
  make: (v, ctx) =>
    new NginxRouter(ctx.host, {
      upstream: v.upstream,
      servers: v.servers,
      config: v['router-config']!,
      args: splitArgs(v['router-args']),
      ctx
    })
} satisfies RouterKindOf<typeof inputs>
