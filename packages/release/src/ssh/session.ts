/**
 * What every ssh/rsync call of one run shares: the private key written 0600
 * under RUNNER_TEMP, the known_hosts file (or the explicit insecure-accept),
 * and the ssh options that keep a call from ever waiting on a person or a dead
 * peer. close() removes the directory; exit and signal hooks remove it too when
 * the process ends without close() (an uncaught error, a cancelled job), and
 * first end the connections still open (a master would otherwise stay logged
 * in for its ControlPersist time). Only SIGKILL leaves them, and the key inside
 * RUNNER_TEMP, which the runner empties after the job.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sshPath } from './quote.js'
import { killRunning } from './run.js'

export const INSECURE_ACCEPT = 'insecure-accept'

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

/** The sessions whose files a signal must remove. */
const live = new Set<SshSession>()

/**
 * A cancelled job (SIGINT/SIGTERM): when other code handles the signal too (the
 * lock gives itself back over ssh, which needs the key), let it work and come
 * back when it re-raises the signal; then remove every session's files and die
 * of the signal as Node would have.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listeners(signal).some((l) => l !== onSignal)) {
    process.once(signal, onSignal)
    return
  }
  killRunning()
  for (const s of [...live]) s.removeFiles()
  process.kill(process.pid, signal)
}

function track(s: SshSession, on: boolean): void {
  if (on) {
    if (live.size === 0) for (const sig of SIGNALS) process.once(sig, onSignal)
    live.add(s)
  } else if (live.delete(s) && live.size === 0) {
    for (const sig of SIGNALS) process.removeListener(sig, onSignal)
  }
}

export interface SessionOptions {
  key: string
  /** known_hosts lines (ssh-keyscan output) or `insecure-accept`. */
  knownHosts: string
  /** Where the key is written: RUNNER_TEMP (default: the OS temp dir). */
  tempRoot?: string
  /** Seconds ssh waits for a TCP connection and the handshake. */
  connectTimeoutS?: number
  warn: (message: string) => void
}

export class SessionError extends Error {}

/** Checks the credential inputs without writing anything (an error names the input, never the key). */
export function checkCredentials(key: string | undefined, knownHosts: string | undefined): void {
  if (!key || key.trim() === '') {
    throw new SessionError(
      "Input 'ssh-key' is required when target is ssh: expected an OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY----- …)"
    )
  }
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(key) || !/-----END [A-Z0-9 ]*PRIVATE KEY-----/.test(key)) {
    throw new SessionError(
      "Input 'ssh-key' has an invalid value (not shown): expected an unencrypted private key in PEM/OpenSSH form (-----BEGIN … PRIVATE KEY-----)"
    )
  }
  const kh = knownHosts?.trim() ?? ''
  if (kh === '') {
    throw new SessionError(
      `Input 'known-hosts' is required when target is ssh: expected known_hosts lines (e.g. the output of ssh-keyscan -p PORT HOST), or '${INSECURE_ACCEPT}' to accept any host key`
    )
  }
  if (kh !== INSECURE_ACCEPT) {
    const bad = kh
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l !== '' && !l.startsWith('#') && l.split(/\s+/).length < 3)
    if (bad !== undefined) {
      throw new SessionError(
        `Input 'known-hosts' has invalid value '${bad}': expected known_hosts lines '<host> <key-type> <base64 key>' (ssh-keyscan output), or '${INSECURE_ACCEPT}'`
      )
    }
  }
}

export class SshSession {
  readonly dir: string
  readonly keyFile: string
  readonly insecure: boolean
  /** Where the ControlMaster sockets live (private: whoever reaches a socket uses the connection). */
  readonly socketDir: string = ''
  private readonly knownHostsFile: string
  private readonly connectTimeoutS: number
  private users = 0
  private closed = false
  /** Open shared connections: control socket → the `ssh -O exit` command line that ends it. */
  private readonly masters = new Map<string, string[]>()
  private readonly onExit = () => this.removeFiles()

  constructor(o: SessionOptions) {
    checkCredentials(o.key, o.knownHosts)
    // Short names: ControlPath sockets live here and a unix socket path is at most ~104 bytes.
    this.dir = mkdtempSync(join(o.tempRoot ?? tmpdir(), 'gantry-ssh-'))
    process.once('exit', this.onExit)
    track(this, true)
    try {
      sshPath(this.dir)
      chmodSync(this.dir, 0o700)
      this.keyFile = join(this.dir, 'id')
      // OpenSSH refuses a key without its final newline, and CRLF from a pasted secret.
      const key = o.key.replace(/\r\n?/g, '\n').trim() + '\n'
      writeFileSync(this.keyFile, key, { mode: 0o600 })
      chmodSync(this.keyFile, 0o600)
      this.insecure = o.knownHosts.trim() === INSECURE_ACCEPT
      this.knownHostsFile = join(this.dir, 'known_hosts')
      if (!this.insecure) {
        writeFileSync(this.knownHostsFile, o.knownHosts.replace(/\r\n?/g, '\n').trim() + '\n', { mode: 0o600 })
      } else {
        o.warn(
          "known-hosts is 'insecure-accept': host keys are not checked, so a man in the middle could receive the release; pass the hosts' keys (ssh-keyscan output) in known-hosts instead"
        )
      }
      this.connectTimeoutS = o.connectTimeoutS ?? 15
      // A unix socket path holds ~104 bytes and ssh adds a 17-byte suffix while it
      // binds: when RUNNER_TEMP is deep, the control sockets go to a short private dir.
      this.socketDir = Buffer.byteLength(this.dir) <= 72 ? this.dir : mkdtempSync(join(tmpdir(), 'gantry-cm-'))
      chmodSync(this.socketDir, 0o700)
      sshPath(this.socketDir)
    } catch (e) {
      this.removeFiles()
      throw e
    }
  }

  /** ssh options every call uses (no config file is read: the runner's ~/.ssh plays no part). */
  options(): string[] {
    const o = (kv: string) => ['-o', kv]
    return [
      '-F',
      '/dev/null',
      ...o(`IdentityFile=${sshPath(this.keyFile)}`),
      ...o('IdentitiesOnly=yes'),
      ...o('IdentityAgent=none'),
      ...o('PasswordAuthentication=no'),
      ...o('KbdInteractiveAuthentication=no'),
      ...o('BatchMode=yes'),
      ...o(`ConnectTimeout=${this.connectTimeoutS}`),
      ...o('ServerAliveInterval=10'),
      ...o('ServerAliveCountMax=3'),
      ...o('LogLevel=ERROR'),
      ...o('ForwardAgent=no'),
      ...o('ForwardX11=no'),
      ...o('RequestTTY=no'),
      ...o('UpdateHostKeys=no'),
      ...o('GlobalKnownHostsFile=/dev/null'),
      ...(this.insecure
        ? [...o('StrictHostKeyChecking=no'), ...o('UserKnownHostsFile=/dev/null')]
        : [...o('StrictHostKeyChecking=yes'), ...o(`UserKnownHostsFile=${sshPath(this.knownHostsFile)}`)])
    ]
  }

  /** A target takes a share; the last one to release removes the key. */
  acquire(): void {
    this.users++
  }

  release(): void {
    this.users = Math.max(0, this.users - 1)
    if (this.users === 0) this.removeFiles()
  }

  /** A target's shared connection is up; `exitArgs` is the ssh command line that ends it. */
  masterStarted(controlPath: string, exitArgs: string[]): void {
    this.masters.set(controlPath, exitArgs)
  }

  masterEnded(controlPath: string): void {
    this.masters.delete(controlPath)
  }

  /** Ends the connections still open, then removes the key, known_hosts and sockets (idempotent). */
  removeFiles(): void {
    if (this.closed) return
    this.closed = true
    process.removeListener('exit', this.onExit)
    track(this, false)
    // Synchronous: this also runs in the exit hook and on a signal, with no event loop turn left.
    for (const [socket, args] of this.masters) {
      if (existsSync(socket)) spawnSync(args[0], args.slice(1), { stdio: 'ignore', timeout: 5_000 })
    }
    this.masters.clear()
    rmSync(this.dir, { recursive: true, force: true })
    if (this.socketDir && this.socketDir !== this.dir) rmSync(this.socketDir, { recursive: true, force: true })
  }
}
