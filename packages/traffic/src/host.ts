/**
 * Where the router runs: the runner itself, or `router-host` over ssh. A
 * router does everything through this interface (run an argv, read a file,
 * replace one atomically, talk to a socket), so nginx, HAProxy and command
 * work the same on both. Over ssh every operation is one `sh -c` call on the
 * shared connection of release's SshTarget, with every value a quoted
 * argument, never part of the script; the history (traffic.json) is that
 * target's StateStore at `path`.
 */
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync
} from 'node:fs'
import { connect } from 'node:net'
import { basename, dirname, join } from 'node:path'
import { LocalTarget, SshTarget, runProcess, type Target } from '@gantry/release'

export interface RunOutput {
  code: number | null
  stdout: string
  stderr: string
  timedOut: boolean
}

/** A runtime-API address: a unix socket path, or TCP host:port. */
export type SocketAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number }

export class RouterHostError extends Error {}

export interface RouterHost {
  /** `local` or `user@host[:port]`, for messages. */
  readonly name: string
  readonly remote: boolean
  /** traffic.json's store at `path`: the deploy target there (a canary marks its slot's release bad through it). */
  readonly store: Target
  /** Makes `<path>/.gantry` (only that) so the store can write. */
  prepareStore(): Promise<void>
  run(argv: readonly string[], o: { input?: string; timeoutMs: number }): Promise<RunOutput>
  readFile(path: string): Promise<string | undefined>
  /** Temp file in the same directory, then rename over `path`: a reader sees the old file or the new one. */
  writeFileAtomic(path: string, text: string): Promise<void>
  removeFile(path: string): Promise<void>
  /** `test -d` / `test -S` / `test -e` on the host. */
  test(flag: '-d' | '-S' | '-e', path: string): Promise<boolean>
  /**
   * Sends each command on its own runtime-API connection; the answers, in order.
   * `untilRefused`: stops after the first answer that is more than a newline
   * (a `set` command's refusal), so the answers may be fewer than the commands.
   */
  socket(
    address: SocketAddress,
    commands: readonly string[],
    timeoutMs: number,
    o?: { untilRefused?: boolean }
  ): Promise<string[]>
  close(): Promise<void>
}

/** A temp name beside `path` that no `include *.conf` or `*.cfg` glob matches. */
export function tempBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.gantry-${randomBytes(4).toString('hex')}`)
}

/** sbin directories: nginx and haproxy live there, and a non-root PATH often lacks them. */
const SBIN = '/usr/local/sbin:/usr/sbin:/sbin'

/** One runtime-API exchange over a local socket: the command, then everything until the router closes. */
export function askSocket(address: SocketAddress, command: string, timeoutMs: number): Promise<string> {
  const where = address.kind === 'unix' ? address.path : `${address.host}:${address.port}`
  return new Promise((resolve, reject) => {
    const sock = address.kind === 'unix' ? connect({ path: address.path }) : connect(address.port, address.host)
    const chunks: Buffer[] = []
    let settled = false
    const finish = (e?: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      sock.destroy()
      if (e) reject(e)
      else resolve(Buffer.concat(chunks).toString('utf8'))
    }
    const timer = setTimeout(
      () =>
        finish(
          new RouterHostError(
            `router-socket ${where} did not answer '${command}' within ${Math.round(timeoutMs / 100) / 10} s`
          )
        ),
      timeoutMs
    )
    sock.on('connect', () => sock.write(`${command}\n`))
    sock.on('data', (d: Buffer) => chunks.push(d))
    sock.on('end', () => finish())
    sock.on('close', () => finish())
    sock.on('error', (e) => finish(new RouterHostError(`router-socket ${where}: ${e.message}`)))
  })
}

export class LocalHost implements RouterHost {
  readonly name = 'local'
  readonly remote = false
  readonly store: LocalTarget

  constructor(private readonly path: string) {
    this.store = new LocalTarget(path)
  }

  async prepareStore(): Promise<void> {
    mkdirSync(join(this.path, '.gantry'), { recursive: true })
  }

  async run(argv: readonly string[], o: { input?: string; timeoutMs: number }): Promise<RunOutput> {
    const r = await runProcess(argv[0], argv.slice(1), {
      input: o.input,
      timeoutMs: o.timeoutMs,
      env: { ...process.env, PATH: `${process.env.PATH ?? ''}:${SBIN}` }
    })
    return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr, timedOut: r.timedOut }
  }

  async readFile(path: string): Promise<string | undefined> {
    try {
      return readFileSync(path, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new RouterHostError(`cannot read ${path}: ${(e as Error).message}`)
    }
  }

  async writeFileAtomic(path: string, text: string): Promise<void> {
    const tmp = tempBeside(path)
    try {
      const data = Buffer.from(text, 'utf8')
      const fd = openSync(tmp, 'w', 0o644)
      try {
        for (let off = 0; off < data.length;) off += writeSync(fd, data, off, data.length - off)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      renameSync(tmp, path)
    } catch (e) {
      rmSync(tmp, { force: true })
      throw new RouterHostError(`cannot write ${path}: ${(e as Error).message}`)
    }
  }

  async removeFile(path: string): Promise<void> {
    rmSync(path, { force: true })
  }

  async test(flag: '-d' | '-S' | '-e', path: string): Promise<boolean> {
    try {
      const st = statSync(path)
      return flag === '-d' ? st.isDirectory() : flag === '-S' ? st.isSocket() : true
    } catch {
      return false
    }
  }

  async socket(
    address: SocketAddress,
    commands: readonly string[],
    timeoutMs: number,
    o: { untilRefused?: boolean } = {}
  ): Promise<string[]> {
    const out: string[] = []
    for (const c of commands) {
      const answer = await askSocket(address, c, timeoutMs)
      out.push(answer)
      if (o.untilRefused && (answer === '' || answer.trim() !== '')) break
    }
    return out
  }

  async close(): Promise<void> {}
}

// The remote scripts: $1 is `<path>` (SshTarget's convention), values follow as quoted arguments.
const RUN = `shift; PATH="$PATH:${SBIN}"; export PATH; exec "$@"`
const READ = `if [ ! -e "$2" ]; then exit 3; fi
if [ -d "$2" ]; then echo "$2 is a directory" >&2; exit 4; fi
exec cat -- "$2"`
const WRITE = `set -eu
trap 'rm -f -- "$3"' EXIT
cat > "$3"
n=$(wc -c < "$3"); [ $((n)) -eq "$4" ] || { echo "stdin ended after $((n)) of $4 bytes" >&2; exit 1; }
chmod 644 -- "$3"
mv -f -- "$3" "$2"`
const REMOVE = `rm -f -- "$2"`
const TEST = `test "$2" "$3"`
/** Each command on its own socat connection, each answer followed by a marker line. */
const SOCAT = `addr=$2; t=$3; until=$4; shift 4
PATH="$PATH:${SBIN}"
out=$(mktemp) || exit 1
trap 'rm -f -- "$out"' EXIT
for c in "$@"; do
  printf '%s\\n' "$c" | socat -t "$t" -T "$t" STDIO "$addr" > "$out" || exit $?
  # A router answers at least a newline; nothing within the bound is no answer.
  n=$(wc -c < "$out"); [ $((n)) -gt 0 ] || { echo "no answer to '$c' within $t s" >&2; exit 5; }
  cat -- "$out"
  printf '\\n%s\\n' '<<gantry-end>>'
  # A set command's refusal (more than a newline) ends the batch.
  if [ "$until" = 1 ] && [ -n "$(tr -d '\\n' < "$out")" ]; then exit 0; fi
done`
const MARK = '\n<<gantry-end>>\n'

export class SshHost implements RouterHost {
  readonly remote = true
  constructor(
    readonly name: string,
    readonly store: SshTarget
  ) {}

  async prepareStore(): Promise<void> {
    const r = await this.store.exec('prepare', `mkdir -p -- "$1/.gantry"`, [])
    if (r.code !== 0)
      throw new RouterHostError(`${this.name}: cannot make ${this.store.base}/.gantry: ${lastOf(r.stderr)}`)
  }

  async run(argv: readonly string[], o: { input?: string; timeoutMs: number }): Promise<RunOutput> {
    const r = await this.store.exec('router', RUN, argv, o)
    return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr, timedOut: r.timedOut }
  }

  async readFile(path: string): Promise<string | undefined> {
    const r = await this.store.exec('read', READ, [path])
    if (r.code === 3) return undefined
    if (r.code !== 0) throw new RouterHostError(`${this.name}: cannot read ${path}: ${lastOf(r.stderr)}`)
    return r.stdout.toString('utf8')
  }

  async writeFileAtomic(path: string, text: string): Promise<void> {
    const r = await this.store.exec('write', WRITE, [path, tempBeside(path), String(Buffer.byteLength(text))], {
      input: text
    })
    if (r.code !== 0) throw new RouterHostError(`${this.name}: cannot write ${path}: ${lastOf(r.stderr)}`)
  }

  async removeFile(path: string): Promise<void> {
    const r = await this.store.exec('remove', REMOVE, [path])
    if (r.code !== 0) throw new RouterHostError(`${this.name}: cannot remove ${path}: ${lastOf(r.stderr)}`)
  }

  async test(flag: '-d' | '-S' | '-e', path: string): Promise<boolean> {
    return (await this.store.exec('test', TEST, [flag, path])).code === 0
  }

  async socket(
    address: SocketAddress,
    commands: readonly string[],
    timeoutMs: number,
    o: { untilRefused?: boolean } = {}
  ): Promise<string[]> {
    const where = address.kind === 'unix' ? address.path : `${address.host}:${address.port}`
    const addr = address.kind === 'unix' ? `UNIX-CONNECT:${address.path}` : `TCP:${address.host}:${address.port}`
    const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)))
    let r
    try {
      r = await this.store.exec('socket', SOCAT, [addr, seconds, o.untilRefused ? '1' : '0', ...commands], {
        timeoutMs: timeoutMs * commands.length + 15_000
      })
    } catch (e) {
      throw new RouterHostError(`${this.name}: router-socket ${where}: ${(e as Error).message}`)
    }
    const text = r.stdout.toString('utf8')
    const parts = text.split(MARK)
    const got = parts.length - 1
    const refused = o.untilRefused && got > 0 && parts[got - 1].trim() !== ''
    if (r.code !== 0 || (got < commands.length && !refused)) {
      const why =
        r.code === 127 ? 'socat is not installed on the router host' : lastOf(r.stderr) || `exit ${r.code ?? '?'}`
      throw new RouterHostError(`${this.name}: router-socket ${where}: ${why}`)
    }
    return parts.slice(0, got)
  }

  close(): Promise<void> {
    return this.store.close()
  }
}

function lastOf(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
  return lines.at(-1) ?? ''
}
