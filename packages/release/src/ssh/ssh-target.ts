/**
 * The ssh target: `<path>` on one host, reached with OpenSSH. Every operation
 * is one `ssh` call running a small POSIX sh script (scripts.ts) with quoted
 * arguments, or an `rsync` upload over the same ssh options; the layout, the
 * staging → verify → rename order and the atomic switch are those of the local
 * target, so a crash leaves the same things behind and the same cleanPartials()
 * removes them. Calls on one host are serialised (the lock heartbeat never
 * interleaves with a removal) and share one multiplexed connection.
 */
import {
  isPartial,
  isTempName,
  isSlotName,
  manifestId,
  parseCurrentLink,
  parseSlotLink,
  slotName,
  removingName,
  stagingName,
  stateName,
  tempName
} from '../layout.js'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, lstatSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { emptyHistory, parseHistory, type History } from '../history.js'
import {
  ARCHIVE_DIR,
  ARCHIVE_TAIL_BYTES,
  archiveAppends,
  lastArchivedLine,
  newestArchiveFile
} from '../history-archive.js'
import { isValidReleaseId } from '../id.js'
import { lockMatches, lockText, lockToken, parseLock, type LockInfo } from '../lock-format.js'
import { parseManifest, sharedLinkTarget, type Manifest, type VerifyResult } from '../manifest.js'
import type { ActivateRequest, ActivateResult, CleanResult, PrepareRequest, PrepareResult, Target } from '../target.js'
import type { HostLine, SshHost } from './host.js'
import { remoteCommand, rsyncWord, sshPath } from './quote.js'
import { lastLine, runProcess, type RunResult } from './run.js'
import { parseScan, verifyScan } from './scan.js'
import * as S from './scripts.js'
import type { SshSession } from './session.js'

export class SshTargetError extends Error {}

export const SSH = process.env.GANTRY_SSH ?? 'ssh'
export const RSYNC = process.env.GANTRY_RSYNC ?? 'rsync'

const TAIL = 8 * 1024

export interface SshTargetOptions {
  host: SshHost
  /** `<path>` on the host (absolute, or relative to the login directory). */
  base: string
  session: SshSession
  /** Distinguishes this target's control socket from the others of the run. */
  index: number
  log?: (line: string) => void
  /** Bound of one small operation (ms). */
  opTimeoutMs?: number
  /** Bound of an upload or a deep verify (ms); rsync also gives up after 5 min without I/O. */
  transferTimeoutMs?: number
}

function hex(): string {
  return randomBytes(4).toString('hex')
}

function checkId(id: string): string {
  if (!isValidReleaseId(id)) throw new SshTargetError(`'${id}' is not a valid release id`)
  return id
}

export class SshTarget implements Target {
  readonly name: string
  readonly base: string
  /** The router's server name for this host (`web1=` on its hosts line; default the host part). */
  readonly serverName: string
  /** The host part of the hosts line (what host-health-url's `{host}` becomes). */
  readonly hostAddress: string
  private readonly host: SshHost
  private readonly session: SshSession
  private readonly log: (line: string) => void
  private readonly opTimeoutMs: number
  private readonly transferTimeoutMs: number
  private readonly controlPath?: string
  private master: Promise<void> | undefined
  private queue: Promise<unknown> = Promise.resolve()
  private lockQueue: Promise<unknown> = Promise.resolve()
  private closed = false
  /** `<path>` as the host resolved it (init()). */
  private absBase: string | undefined

  constructor(o: SshTargetOptions) {
    this.host = o.host
    this.base = o.base === '/' ? '/' : o.base.replace(/\/+$/, '')
    this.name = `${o.host.label}:${this.base}`
    this.serverName = (o.host as Partial<HostLine>).serverName ?? o.host.host
    this.hostAddress = o.host.host
    this.session = o.session
    this.log = o.log ?? (() => undefined)
    this.opTimeoutMs = o.opTimeoutMs ?? 120_000
    this.transferTimeoutMs = o.transferTimeoutMs ?? 60 * 60_000
    // A unix socket path holds ~104 bytes and ssh adds a 17-byte suffix while it binds.
    const cp = join(o.session.socketDir, `c${o.index}`)
    if (Buffer.byteLength(cp) <= 80) this.controlPath = cp
    o.session.acquire()
  }

  // --- plumbing ---

  private sshArgs(): string[] {
    return this.controlPath
      ? this.hostArgs(['-o', `ControlPath=${sshPath(this.controlPath)}`, '-o', 'ControlMaster=no'])
      : this.hostArgs(['-o', 'ControlMaster=no', '-o', 'ControlPath=none'])
  }

  /** The session's options, then `extra`, then this host's port and user. */
  private hostArgs(extra: string[]): string[] {
    return [...this.session.options(), ...extra, '-p', String(this.host.port), '-l', this.host.user]
  }

  /** Starts the shared connection once; its failure (host key, auth, refused) is the clear first error. */
  private connect(): Promise<void> {
    // A failed start is not kept: a later call (a switch back, say) tries again.
    this.master ??= this.startMaster().catch((e: unknown) => {
      this.master = undefined
      throw e
    })
    return this.master
  }

  private async startMaster(): Promise<void> {
    if (this.closed) throw new SshTargetError(`${this.name}: used after close()`)
    if (!this.controlPath) return
    // stderr goes to a file, not a pipe: the master forks into the background
    // (-f) and would hold a pipe open for as long as it lives.
    const errFile = join(this.session.dir, `master-${hex()}.err`)
    const fd = openSync(errFile, 'w', 0o600)
    const args = [
      ...this.hostArgs([
        '-o',
        `ControlPath=${sshPath(this.controlPath)}`,
        '-o',
        'ControlMaster=yes',
        // If this process dies without close(), the master leaves by itself once idle.
        '-o',
        'ControlPersist=60',
        '-N',
        '-f'
      ]),
      '--',
      this.host.host
    ]
    let code: number | null
    try {
      code = await new Promise<number | null>((resolve) => {
        const child = spawn(SSH, args, { stdio: ['ignore', 'ignore', fd], shell: false })
        const timer = setTimeout(() => child.kill('SIGKILL'), this.opTimeoutMs)
        child.on('error', () => {
          clearTimeout(timer)
          resolve(null)
        })
        child.on('exit', (c) => {
          clearTimeout(timer)
          resolve(c)
        })
      })
    } finally {
      closeSync(fd)
    }
    const err = readFileSync(errFile, 'utf8')
    rmSync(errFile, { force: true })
    if (code !== 0) {
      throw new SshTargetError(
        `${this.name}: cannot connect: ${lastLine(err) || (code === null ? `${SSH} could not run or timed out` : `ssh exited with ${code}`)}`
      )
    }
    this.session.masterStarted(this.controlPath, [SSH, ...this.masterExitArgs()])
  }

  private masterExitArgs(): string[] {
    return [...this.hostArgs(['-o', `ControlPath=${sshPath(this.controlPath!)}`, '-O', 'exit']), '--', this.host.host]
  }

  /** One operation at a time on this host. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.queue.then(f, f)
    this.queue = next.catch(() => undefined)
    return next
  }

  /**
   * Lock operations queue among themselves only (a heartbeat never interleaves
   * with a removal), so a cancelled job can give the lock back while an upload
   * or activate is still running on the same connection.
   */
  private serialLock<T>(f: () => Promise<T>): Promise<T> {
    const next = this.lockQueue.then(f, f)
    this.lockQueue = next.catch(() => undefined)
    return next
  }

  /** Runs a script on the host: `sh -c <script> gantry-<op> <path> <args…>`, every word quoted. */
  private async remote(
    op: string,
    script: string,
    args: readonly string[],
    o: { input?: string; timeoutMs?: number; onLine?: (l: string) => void } = {}
  ): Promise<RunResult> {
    await this.connect()
    const command = remoteCommand(script, `gantry-${op}`, [this.base, ...args])
    const r = await runProcess(SSH, [...this.sshArgs(), '--', this.host.host, command], {
      input: o.input,
      timeoutMs: o.timeoutMs ?? this.opTimeoutMs,
      onLine: o.onLine
    })
    if (r.timedOut) {
      throw new SshTargetError(
        `${this.name}: ${op} did not finish within ${Math.round((o.timeoutMs ?? this.opTimeoutMs) / 1000)} s`
      )
    }
    if (r.code === 255 || r.code === null) {
      throw new SshTargetError(`${this.name}: ${op}: ssh failed: ${lastLine(r.stderr) || `exit ${r.code ?? r.signal}`}`)
    }
    return r
  }

  /**
   * Runs a POSIX sh `script` on the host, `args` as $2… ($1 is `<path>`), every
   * word quoted, on this target's shared connection and in its queue: for the
   * steps other packages run on a host (traffic's router commands).
   */
  exec(op: string, script: string, args: readonly string[], o: { input?: string; timeoutMs?: number } = {}) {
    return this.serial(() => this.remote(op, script, args, o))
  }

  /** remote() that accepts only exit 0 and the listed codes. */
  private async expect(op: string, script: string, args: readonly string[], ok: number[], input?: string) {
    const r = await this.remote(op, script, args, { input })
    if (r.code !== 0 && !ok.includes(r.code!)) {
      throw new SshTargetError(`${this.name}: ${op} failed: ${lastLine(r.stderr) || `exit ${r.code}`}`)
    }
    return r
  }

  private async readRel(op: string, rel: string, what = 'a file'): Promise<string | undefined> {
    const r = await this.expect(op, S.READ, [rel], [S.ABSENT, S.OTHER])
    if (r.code === S.OTHER)
      throw new SshTargetError(
        `${this.name}: ${this.base}/${rel} is a directory, not ${what}; remove it; nothing changed`
      )
    return r.code === S.ABSENT ? undefined : r.stdout.toString('utf8')
  }

  private async writeAtomic(op: string, dir: string, name: string, text: string): Promise<void> {
    await this.expect(op, S.WRITE_ATOMIC, [dir, name, tempName(name), String(Buffer.byteLength(text))], [], text)
  }

  private rsyncShell(): string {
    return [SSH, ...this.sshArgs()].map(rsyncWord).join(' ')
  }

  private async rsync(op: string, args: string[]): Promise<void> {
    await this.connect()
    const all = [
      '-a',
      // Not the runner's owner, group or mtimes: the files belong to the remote
      // user, and with -c an unchanged file links whatever its checkout time.
      '--no-owner',
      '--no-group',
      '--no-times',
      '--protect-args',
      '--timeout=300',
      '-e',
      this.rsyncShell(),
      ...args
    ]
    const r = await runProcess(RSYNC, all, { timeoutMs: this.transferTimeoutMs })
    if (r.timedOut)
      throw new SshTargetError(
        `${this.name}: ${op}: rsync did not finish within ${Math.round(this.transferTimeoutMs / 1000)} s`
      )
    if (r.code !== 0) {
      // rsync's last line is its generic exit summary; the first 'rsync: …' line says what went wrong.
      const why = r.stderr.split(/\r?\n/).find((l) => /^rsync: /.test(l)) ?? lastLine(r.stderr)
      throw new SshTargetError(`${this.name}: ${op}: rsync failed: ${why || `exit ${r.code ?? r.signal}`}`)
    }
  }

  private remotePath(rel: string): string {
    return `${this.host.host}:${this.base}/${rel}`
  }

  // --- Target ---

  /** Absolute once init() ran (the `release-path` output and GANTRY_RELEASE_PATH must not depend on a cwd). */
  releasePath(id: string): string {
    const base = this.absBase ?? this.base
    return `${base === '/' ? '' : base}/releases/${id}`
  }

  init(): Promise<void> {
    return this.serial(async () => {
      const r = await this.expect('init', S.INIT, [], [])
      const abs = r.stdout.toString('utf8').replace(/\n$/, '')
      if (abs.startsWith('/')) this.absBase = abs
    })
  }

  createLock(info: LockInfo): Promise<boolean> {
    return this.serialLock(async () => {
      const text = lockText(info)
      const r = await this.expect(
        'lock',
        S.CREATE_LOCK,
        [tempName('lock'), String(Buffer.byteLength(text))],
        [S.ABSENT],
        text
      )
      return r.code === 0
    })
  }

  readLockRaw(): Promise<string | undefined> {
    return this.serialLock(() => this.readRel('read lock', '.gantry/lock', 'a lock file'))
  }

  async readLock(): Promise<LockInfo | 'unreadable' | undefined> {
    const raw = await this.readLockRaw()
    return raw === undefined ? undefined : parseLock(raw)
  }

  refreshLock(info: LockInfo): Promise<boolean> {
    return this.serialLock(async () => {
      const raw = await this.readRel('read lock', '.gantry/lock', 'a lock file')
      if (raw === undefined || lockToken(raw) !== info.token) return false
      await this.writeAtomic('refresh lock', '.gantry', 'lock', lockText(info))
      return true
    })
  }

  removeLock(expect: { token?: string; raw?: string }): Promise<boolean> {
    return this.serialLock(async () => {
      const raw = await this.readRel('read lock', '.gantry/lock', 'a lock file')
      if (raw === undefined || !lockMatches(raw, expect)) return false
      // Removed only if still byte for byte what was judged (checked on the host after moving it aside).
      const r = await this.expect('unlock', S.REMOVE_LOCK, [tempName('lock'), tempName('lock')], [S.ABSENT], raw)
      return r.code === 0
    })
  }

  readHistory(): Promise<History> {
    return this.serial(async () => {
      const text = await this.readRel('read history', '.gantry/history.json')
      return text === undefined ? emptyHistory() : parseHistory(text)
    })
  }

  writeHistory(history: History): Promise<void> {
    return this.serial(async () => {
      await this.writeAtomic('write history', '.gantry', 'history.json', JSON.stringify(history, null, 2) + '\n')
      try {
        await this.appendArchive(history.events)
      } catch (e) {
        // history.json is written: the next write appends what is missing (history-archive.ts).
        this.log(`${this.name}: history archive not appended (${(e as Error).message}); the next write catches up`)
      }
    })
  }

  /** The local target's appendArchive, over ssh: list, read the newest file's tail, append per file. */
  private async appendArchive(events: History['events']): Promise<void> {
    const file = newestArchiveFile((await this.list([`.gantry/${ARCHIVE_DIR}`]))[0])
    let newest: { file: string; last?: string } | undefined
    if (file !== undefined) {
      const r = await this.expect(
        'read history archive',
        S.ARCHIVE_TAIL,
        [file, String(ARCHIVE_TAIL_BYTES)],
        [S.ABSENT]
      )
      const tail = r.stdout.toString('utf8')
      // A tail that starts mid-file starts mid-line: drop that piece.
      const whole = r.stdout.length < ARCHIVE_TAIL_BYTES ? tail : tail.slice(tail.indexOf('\n') + 1)
      newest = { file, last: r.code === S.ABSENT ? undefined : lastArchivedLine(whole) }
    }
    for (const a of archiveAppends(events, newest)) {
      await this.expect(
        'append history archive',
        S.ARCHIVE_APPEND,
        [a.file, tempName(a.file), String(Buffer.byteLength(a.text))],
        [],
        a.text
      )
    }
  }

  readState(name: string): Promise<string | undefined> {
    return this.serial(() => this.readRel(`read ${name}`, `.gantry/${stateName(name)}`))
  }

  writeState(name: string, text: string): Promise<void> {
    return this.serial(() => this.writeAtomic(`write ${name}`, '.gantry', stateName(name), text))
  }

  keepHistoryAside(name: string): Promise<string> {
    return this.serial(async () => {
      const r = await this.expect('keep history aside', S.KEEP_ASIDE, [name], [])
      return r.stdout.toString('utf8')
    })
  }

  hasLayout(): Promise<boolean> {
    return this.serial(async () => (await this.expect('look for releases', S.HAS_LAYOUT, [], [S.ABSENT])).code === 0)
  }

  current(): Promise<string | undefined> {
    return this.serial(async () => {
      const r = await this.expect('current', S.CURRENT, [], [S.ABSENT, S.OTHER])
      if (r.code === S.ABSENT) return undefined
      const link = `${this.base}/current`
      if (r.code === S.OTHER)
        throw new SshTargetError(`${this.name}: ${link} exists but is not a symlink; move it away first`)
      const target = r.stdout.toString('utf8').replace(/\n$/, '')
      const id = parseCurrentLink(target)
      if (id === undefined)
        throw new SshTargetError(`${this.name}: ${link} points at '${target}', not at releases/<id>`)
      return id
    })
  }

  /** Entries of several `<path>`-relative directories, NUL-safe. */
  private async list(dirs: string[]): Promise<string[][]> {
    const r = await this.expect('list', S.LIST, dirs, [])
    const out = dirs.map(() => [] as string[])
    for (const rec of r.stdout.toString('utf8').split('\0')) {
      if (rec === '') continue
      const slash = rec.indexOf('/')
      out[Number(rec.slice(0, slash))].push(rec.slice(slash + 1))
    }
    return out
  }

  listReleases(): Promise<string[]> {
    return this.serial(async () =>
      (await this.list(['releases']))[0].filter((n) => !n.startsWith('.') && isValidReleaseId(n))
    )
  }

  readManifest(id: string): Promise<Manifest | undefined> {
    return this.serial(async () => {
      const text = await this.readRel('read manifest', `.gantry/manifests/${checkId(id)}.json`)
      return text === undefined ? undefined : parseManifest(text)
    })
  }

  cleanPartials(): Promise<CleanResult> {
    return this.serial(async () => {
      const [releases, base, meta, manifests, slots] = await this.list([
        'releases',
        '',
        '.gantry',
        '.gantry/manifests',
        'slots'
      ])
      const partials: string[] = []
      for (const n of releases) if (isPartial(n)) partials.push(`releases/${n}`)
      // Temp files of interrupted atomic writes and switches.
      for (const n of base) if (isTempName(n)) partials.push(n)
      for (const n of slots) if (isTempName(n)) partials.push(`slots/${n}`)
      for (const n of meta) if (isTempName(n)) partials.push(`.gantry/${n}`)
      const have = new Set(releases.filter((n) => !n.startsWith('.') && isValidReleaseId(n)))
      for (const n of manifests) {
        const id = manifestId(n)
        if (isTempName(n)) partials.push(`.gantry/manifests/${n}`)
        else if (id !== undefined && !have.has(id)) partials.push(`.gantry/manifests/${n}`)
      }
      if (!partials.length) return { partials }
      const r = await this.expect('clean', S.REMOVE, partials, [])
      const stuck = new Set(r.stdout.toString('utf8').split('\0').filter(Boolean))
      if (!stuck.size) return { partials }
      const why = lastLine(r.stderr)
      return {
        partials: partials.filter((p) => !stuck.has(p)),
        failed: [...stuck].map((p) => `${p}${why ? ` (${why})` : ''}`)
      }
    })
  }

  prepare(req: PrepareRequest): Promise<PrepareResult> {
    return this.serial(async () => {
      checkId(req.id)
      if (req.linkFrom) checkId(req.linkFrom.id)
      let r = await this.build(req, req.linkFrom?.id)
      if (!r.verify.ok && req.linkFrom) {
        // A file of the previous release was changed in place (hard links share it):
        // build again from the source alone rather than carry the change forward.
        this.log(`${this.name}: linked files did not verify (${r.verify.problems[0]}); copying every file instead`)
        await this.expect('clean', S.REMOVE, [`releases/${r.staging}`], [])
        r = await this.build(req, undefined)
      }
      if (!r.verify.ok) {
        await this.expect('clean', S.REMOVE, [`releases/${r.staging}`], [])
        throw new SshTargetError(
          `${this.name}: release ${req.id} does not match its manifest: ${r.verify.problems.slice(0, 5).join('; ')}`
        )
      }
      await this.writeAtomic(
        'write manifest',
        '.gantry/manifests',
        `${req.id}.json`,
        JSON.stringify(req.manifest) + '\n'
      )
      await this.expect('finish', S.FINISH, [r.staging, req.id], [])
      const files = req.manifest.files
      return {
        path: this.releasePath(req.id),
        files,
        bytes: req.manifest.bytes,
        linked: r.linked,
        copied: files - r.linked
      }
    })
  }

  /** Staging → upload (rsync --link-dest) → shared links → deep scan on the host → verify here. */
  private async build(
    req: PrepareRequest,
    linkFrom: string | undefined
  ): Promise<{ staging: string; verify: VerifyResult; linked: number }> {
    const staging = stagingName(req.id)
    const s = await this.expect('stage', S.STAGE, [req.id, staging], [S.ABSENT])
    if (s.code === S.ABSENT) throw new SshTargetError(`${this.name}: release ${req.id} already exists`)

    // Exactly the manifest's entries (shared paths are not in it); parents that
    // only the shared links need do not exist in the source and are made below.
    const list: string[] = []
    for (const [p, e] of Object.entries(req.manifest.entries)) {
      if (e.type === 'dir' && !exists(join(req.sourceDir, p))) continue
      list.push(p)
    }
    const listFile = join(this.session.dir, `files-${hex()}`)
    writeFileSync(listFile, list.map((p) => `${p}\0`).join(''), { mode: 0o600 })
    try {
      await this.rsync('upload', [
        // Unchanged files (same path, content and mode) become hard links to the previous release.
        '--checksum',
        ...(linkFrom ? [`--link-dest=../${linkFrom}`] : []),
        '--from0',
        `--files-from=${listFile}`,
        '--',
        `${req.sourceDir}/`,
        this.remotePath(`releases/${staging}/`)
      ])
    } finally {
      rmSync(listFile, { force: true })
    }

    if (req.shared.length) {
      const missing = await this.expect('shared', S.MISSING_SHARED, req.shared, [])
      for (const p of missing.stdout.toString('utf8').split('\0').filter(Boolean)) {
        // Seeded from the source once, as the local target does; later releases link the same copy.
        const src = join(req.sourceDir, p)
        if (!exists(src)) continue
        const dir = lstatSync(src).isDirectory()
        await this.rsync('seed shared', ['--', dir ? `${src}/` : src, this.remotePath(`shared/${p}${dir ? '/' : ''}`)])
      }
      await this.expect(
        'link shared',
        S.LINK_SHARED,
        [staging, ...req.shared.flatMap((p) => [p, sharedLinkTarget(p)])],
        []
      )
    }

    const scan = await this.scan(`releases/${staging}`, true)
    let linked = 0
    if (scan) {
      for (const [p, e] of scan)
        if (e.kind === 'file' && e.links > 1 && req.manifest.entries[p]?.type === 'file') linked++
    }
    const verify = scan
      ? verifyScan(scan, req.manifest, true)
      : { ok: false, checked: 0, problems: [`cannot read release: releases/${staging} does not exist`] }
    return { staging, verify, linked }
  }

  private async scan(rel: string, deep: boolean) {
    const r = await this.remote('verify', S.SCAN, [rel, deep ? 'deep' : 'shallow'], {
      timeoutMs: this.transferTimeoutMs
    })
    if (r.code === S.ABSENT) return undefined
    if (r.code !== 0) throw new SshTargetError(`${this.name}: verify failed: ${lastLine(r.stderr) || `exit ${r.code}`}`)
    return parseScan(r.stdout)
  }

  verify(id: string, deep: boolean): Promise<VerifyResult> {
    return this.serial(async () => {
      checkId(id)
      const text = await this.readRel('read manifest', `.gantry/manifests/${id}.json`)
      const m = text === undefined ? undefined : parseManifest(text)
      if (!m) return { ok: false, checked: 0, problems: [`release ${id} has no manifest`] }
      const scan = await this.scan(`releases/${id}`, deep)
      if (!scan) return { ok: false, checked: 0, problems: [`cannot read release: releases/${id} does not exist`] }
      return verifyScan(scan, m, deep)
    })
  }

  switchTo(id: string): Promise<void> {
    return this.serial(async () => {
      checkId(id)
      const r = await this.remote('switch', S.SWITCH, [id, tempName('current')])
      if (r.code === 0) return
      if (r.code === S.ABSENT) throw new SshTargetError(`${this.name}: release ${id} does not exist`)
      if (r.code === S.OTHER)
        throw new SshTargetError(`${this.base}/current is a directory, not a symlink; move it away first`)
      // switchAll names the host and the release already.
      throw new SshTargetError(lastLine(r.stderr) || `the switch script exited with ${r.code}`)
    })
  }

  slot(name: string): Promise<string | undefined> {
    return this.serial(async () => {
      const r = await this.expect('slot', S.SLOT, [slotName(name)], [S.ABSENT, S.OTHER])
      if (r.code === S.ABSENT) return undefined
      const link = `${this.base}/slots/${name}`
      if (r.code === S.OTHER)
        throw new SshTargetError(`${this.name}: ${link} exists but is not a symlink; move it away first`)
      const target = r.stdout.toString('utf8').replace(/\n$/, '')
      const id = parseSlotLink(target)
      if (id === undefined)
        throw new SshTargetError(`${this.name}: ${link} points at '${target}', not at ../releases/<id>`)
      return id
    })
  }

  slots(): Promise<Record<string, string>> {
    return this.serial(async () => {
      const r = await this.expect('slots', S.SLOTS, [], [])
      const words = r.stdout.toString('utf8').split('\0')
      const out: Record<string, string> = {}
      for (let i = 0; i + 1 < words.length; i += 2) {
        const id = parseSlotLink(words[i + 1])
        if (isSlotName(words[i]) && id !== undefined) out[words[i]] = id
      }
      return out
    })
  }

  switchSlot(name: string, id: string): Promise<void> {
    return this.serial(async () => {
      checkId(id)
      const r = await this.remote('switch slot', S.SWITCH_SLOT, [id, slotName(name), tempName(name)])
      if (r.code === 0) return
      if (r.code === S.ABSENT) throw new SshTargetError(`${this.name}: release ${id} does not exist`)
      if (r.code === S.OTHER)
        throw new SshTargetError(`${this.base}/slots/${name} is a directory, not a symlink; move it away first`)
      throw new SshTargetError(lastLine(r.stderr) || `the slot switch script exited with ${r.code}`)
    })
  }

  activate(req: ActivateRequest): Promise<ActivateResult> {
    return this.serial(async () => {
      checkId(req.id)
      const env = Object.entries(req.env).map(([k, v]) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new SshTargetError(`'${k}' is not an environment variable name`)
        return `${k}=${v}`
      })
      let output = ''
      const seconds = (req.timeoutMs / 1000).toFixed(3)
      let r: RunResult
      try {
        r = await this.remote('activate', S.ACTIVATE, [req.id, seconds, ...env, '--', ...req.argv], {
          // The remote `timeout` ends it first; this bound only covers a host that stops answering.
          timeoutMs: req.timeoutMs + 30_000,
          onLine: (l) => {
            output = (output + l + '\n').slice(-TAIL)
            this.log(`activate: ${l}`)
          }
        })
      } catch (e) {
        return {
          code: null,
          signal: null,
          output: `${output}${(e as Error).message}`,
          timedOut: /did not finish/.test((e as Error).message)
        }
      }
      if (r.code === 200 && r.stderr.includes(S.CANNOT_RUN))
        return { code: null, signal: null, output, timedOut: false }
      // GNU timeout exits 124 when it ended the command.
      const timedOut = r.code === 124 && r.ms >= req.timeoutMs
      return { code: r.code, signal: r.signal, output, timedOut }
    })
  }

  removeRelease(id: string): Promise<void> {
    return this.serial(async () => {
      checkId(id)
      await this.expect('remove release', S.REMOVE_RELEASE, [id, removingName(id)], [])
    })
  }

  /** Ends the shared connection and gives back this target's share of the key (the last one removes it). */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.closed = true
    return Promise.all([this.queue, this.lockQueue]).then(async () => {
      try {
        if (this.master && this.controlPath) {
          await runProcess(SSH, this.masterExitArgs(), { timeoutMs: 10_000 }).catch(() => undefined)
          this.session.masterEnded(this.controlPath)
        }
      } finally {
        this.session.release()
      }
    })
  }
}

function exists(p: string): boolean {
  try {
    lstatSync(p)
    return true
  } catch {
    return false
  }
}
