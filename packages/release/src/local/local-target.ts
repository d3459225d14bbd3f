/**
 * The local target: `<path>` on this machine's filesystem. Writes each release
 * into releases/.partial-<id>-*, hard-links files whose hash matches the
 * previous release, verifies, and only then renames it to releases/<id>; so a
 * crash at any point leaves either nothing under that name or a complete,
 * verified release, and `current` is only ever switched (rename of a new
 * symlink) to such a release.
 */
import {
  chmodSync,
  cpSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync
} from 'node:fs'
import { chmod, copyFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { emptyHistory, parseHistory, type History } from '../history.js'
import { isValidReleaseId } from '../id.js'
import { lockMatches, lockText, parseLock, type LockInfo } from '../lock-format.js'
import {
  childPath,
  parseManifest,
  sharedLinkTarget,
  verifyDir,
  type Manifest,
  type ManifestEntry,
  type VerifyResult
} from '../manifest.js'
import type { ActivateRequest, ActivateResult, CleanResult, PrepareRequest, PrepareResult, Target } from '../target.js'
import { Semaphore } from '@gantry/core'
import { createFileExclusive, fsyncDir, tempBeside, writeFileAtomic } from './atomic.js'
import { appendArchive } from './archive.js'
import { ARCHIVE_DIR } from '../history-archive.js'
import * as L from '../layout.js'
import { runCommand } from './spawn.js'
import { decodeStatCache, encodeStatCache } from './stat-cache.js'

export class TargetError extends Error {}

type FileEntry = Extract<ManifestEntry, { type: 'file' }>

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code
}

export class LocalTarget implements Target {
  readonly base: string
  readonly name: string
  private readonly releases: string
  private readonly meta: string
  private readonly lockFile: string

  constructor(
    base: string,
    private readonly log: (line: string) => void = () => undefined
  ) {
    this.base = resolve(base)
    this.name = `local:${this.base}`
    this.releases = join(this.base, L.RELEASES)
    this.meta = join(this.base, L.STATE)
    this.lockFile = join(this.meta, L.LOCK)
  }

  async init(): Promise<void> {
    const dirs = [this.base, this.releases, join(this.base, L.SHARED), this.meta]
    for (const d of [...dirs, join(this.meta, L.MANIFESTS), join(this.meta, L.CACHES)]) {
      mkdirSync(d, { recursive: true })
    }
  }

  // --- lock ---

  async createLock(info: LockInfo): Promise<boolean> {
    return createFileExclusive(this.lockFile, lockText(info))
  }

  async readLockRaw(): Promise<string | undefined> {
    try {
      return readFileSync(this.lockFile, 'utf8')
    } catch (e) {
      if (errno(e) === 'ENOENT') return undefined
      if (errno(e) === 'EISDIR')
        throw new TargetError(
          `${this.name}: ${this.lockFile} is a directory, not a lock file; remove it; nothing changed`
        )
      throw e
    }
  }

  async readLock(): Promise<LockInfo | 'unreadable' | undefined> {
    const raw = await this.readLockRaw()
    return raw === undefined ? undefined : parseLock(raw)
  }

  async refreshLock(info: LockInfo): Promise<boolean> {
    const now = await this.readLock()
    if (!now || now === 'unreadable' || now.token !== info.token) return false
    writeFileAtomic(this.lockFile, lockText(info))
    return true
  }

  async removeLock(expect: { token?: string; raw?: string }): Promise<boolean> {
    const raw = await this.readLockRaw()
    if (raw === undefined || !lockMatches(raw, expect)) return false
    // Move it aside first, then look at what we moved: if another run replaced
    // the lock between our read and the rename, put theirs back.
    const aside = tempBeside(this.lockFile)
    try {
      renameSync(this.lockFile, aside)
    } catch (e) {
      if (errno(e) === 'ENOENT') return false
      throw e
    }
    const moved = readFileSync(aside, 'utf8')
    if (!lockMatches(moved, expect)) {
      try {
        linkSync(aside, this.lockFile)
      } catch {
        // someone took the lock meanwhile; theirs stands
      }
      unlinkSync(aside)
      return false
    }
    unlinkSync(aside)
    fsyncDir(this.meta)
    return true
  }

  // --- history ---

  async readHistory(): Promise<History> {
    const file = join(this.meta, 'history.json')
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (e) {
      if (errno(e) === 'ENOENT') return emptyHistory()
      throw e
    }
    return parseHistory(text)
  }

  async writeHistory(history: History): Promise<void> {
    writeFileAtomic(join(this.meta, 'history.json'), JSON.stringify(history, null, 2) + '\n')
    try {
      appendArchive(join(this.meta, ARCHIVE_DIR), history.events)
    } catch (e) {
      // history.json is written: the next write appends what is missing (history-archive.ts).
      this.log(`${this.name}: history archive not appended (${(e as Error).message}); the next write catches up`)
    }
  }

  async readState(name: string): Promise<string | undefined> {
    try {
      return readFileSync(join(this.meta, L.stateName(name)), 'utf8')
    } catch (e) {
      if (errno(e) === 'ENOENT') return undefined
      throw e
    }
  }

  async writeState(name: string, text: string): Promise<void> {
    writeFileAtomic(join(this.meta, L.stateName(name)), text)
  }

  async keepHistoryAside(name: string): Promise<string> {
    const file = join(this.meta, 'history.json')
    for (let n = 1; ; n++) {
      const as = n === 1 ? name : `${name}-${n}`
      try {
        // link + unlink: a rename that never replaces an earlier corrupt copy.
        linkSync(file, join(this.meta, as))
      } catch (e) {
        if (errno(e) === 'EEXIST') continue
        throw e
      }
      unlinkSync(file)
      fsyncDir(this.meta)
      return as
    }
  }

  async hasLayout(): Promise<boolean> {
    return isDir(this.meta) || isDir(this.releases)
  }

  // --- releases ---

  releasePath(id: string): string {
    return join(this.releases, id)
  }

  async current(): Promise<string | undefined> {
    const link = join(this.base, L.CURRENT)
    let target: string
    try {
      target = readlinkSync(link)
    } catch (e) {
      if (errno(e) === 'ENOENT') return undefined
      if (errno(e) === 'EINVAL') throw new TargetError(`${link} exists but is not a symlink; move it away first`)
      throw e
    }
    const id = L.parseCurrentLink(target)
    if (id === undefined) throw new TargetError(`${link} points at '${target}', not at releases/<id>`)
    return id
  }

  async listReleases(): Promise<string[]> {
    try {
      return readdirSync(this.releases).filter((n) => !n.startsWith('.') && isValidReleaseId(n))
    } catch (e) {
      if (errno(e) === 'ENOENT') return []
      throw e
    }
  }

  private manifestFile(id: string): string {
    return join(this.meta, L.MANIFESTS, L.manifestName(id))
  }

  /**
   * The stat caches (Manifest.stat, Manifest.source) live in .gantry/cache/<id>.json,
   * apart from the manifest, so a rollback's check reads only the manifest.
   */
  private cacheFile(id: string): string {
    return join(this.meta, 'cache', `${id}.json`)
  }

  private readManifestOnly(id: string): Manifest | undefined {
    try {
      return parseManifest(readFileSync(this.manifestFile(id), 'utf8'))
    } catch (e) {
      if (errno(e) === 'ENOENT') return undefined
      throw e
    }
  }

  async readManifest(id: string): Promise<Manifest | undefined> {
    const m = this.readManifestOnly(id)
    if (!m) return undefined
    try {
      const c = decodeStatCache(readFileSync(this.cacheFile(id), 'utf8'), m.entries)
      return c ? { ...m, stat: c.stat, source: c.source } : m
    } catch {
      return m // no cache (or a damaged one): everything is hashed again
    }
  }

  async cleanPartials(): Promise<CleanResult> {
    const partials: string[] = []
    const failed: string[] = []
    for (const n of existsSync(this.releases) ? readdirSync(this.releases) : []) {
      if (!L.isPartial(n)) continue
      try {
        removeTree(join(this.releases, n))
        partials.push(`releases/${n}`)
      } catch (e) {
        failed.push(`releases/${n} (${(e as Error).message})`)
      }
    }
    // Temp files of interrupted atomic writes and switches.
    for (const [dir, rel] of [
      [this.base, ''],
      [join(this.base, L.SLOTS), `${L.SLOTS}/`],
      [this.meta, '.gantry/'],
      [join(this.meta, 'manifests'), '.gantry/manifests/'],
      [join(this.meta, 'cache'), '.gantry/cache/']
    ] as const) {
      for (const n of entries(dir)) {
        if (L.isTempName(n)) {
          rmSync(join(dir, n), { force: true })
          partials.push(`${rel}${n}`)
        }
      }
    }
    // A manifest (or cache) whose release never got its name.
    const have = new Set(await this.listReleases())
    for (const sub of ['manifests', 'cache']) {
      const mdir = join(this.meta, sub)
      for (const n of existsSync(mdir) ? readdirSync(mdir) : []) {
        const id = L.manifestId(n)
        if (id !== undefined && !n.startsWith('.') && !have.has(id)) {
          rmSync(join(mdir, n), { force: true })
          partials.push(`.gantry/${sub}/${n}`)
        }
      }
    }
    return failed.length ? { partials, failed } : { partials }
  }

  async prepare(req: PrepareRequest): Promise<PrepareResult> {
    const final = this.releasePath(req.id)
    if (existsSync(final)) throw new TargetError(`${this.name}: release ${req.id} already exists`)
    let r = await this.build(req)
    if (!r.verify.ok && req.linkFrom) {
      // A file of the previous release was changed in place (hard links share it):
      // build again from the source alone rather than carry the change forward.
      this.log(`${this.name}: linked files did not verify (${r.verify.problems[0]}); copying every file instead`)
      removeTree(r.staging)
      r = await this.build({ ...req, linkFrom: undefined })
    }
    if (!r.verify.ok) {
      removeTree(r.staging)
      throw new TargetError(
        `${this.name}: release ${req.id} does not match its manifest: ${r.verify.problems.slice(0, 5).join('; ')}`
      )
    }
    const { stat: _stat, source, ...manifest } = req.manifest
    writeFileAtomic(this.cacheFile(req.id), encodeStatCache(req.manifest.entries, { stat: r.stat, source }) + '\n')
    writeFileAtomic(this.manifestFile(req.id), JSON.stringify(manifest) + '\n')
    renameSync(r.staging, final)
    fsyncDir(this.releases)
    return { path: final, ...r.counts }
  }

  private async build(req: PrepareRequest): Promise<{
    staging: string
    verify: VerifyResult
    counts: Omit<PrepareResult, 'path'>
    stat: Record<string, [number, number, number]>
  }> {
    const staging = join(this.releases, L.stagingName(req.id))
    mkdirSync(staging)
    const sourceDir = resolve(req.sourceDir)
    const from = req.linkFrom ? this.releasePath(req.linkFrom.id) : undefined
    // Content-addressed: any file of the previous release with the same hash and
    // mode will do, whatever its path (renames link too).
    const prevEntries = req.linkFrom?.manifest.entries ?? {}
    const byHash = new Map<string, string>()
    /** Same content as a file in byHash but another mode (rare). */
    const byHashMode = new Map<string, string>()
    for (const p in prevEntries) {
      const e = prevEntries[p]
      if (e.type !== 'file') continue
      const seen = byHash.get(e.sha256)
      if (seen === undefined) byHash.set(e.sha256, p)
      else if ((prevEntries[seen] as FileEntry).mode !== e.mode) byHashMode.set(`${e.sha256}:${e.mode}`, p)
    }
    const linkable = (e: FileEntry): string | undefined => {
      const p = byHash.get(e.sha256)
      if (p === undefined) return undefined
      return (prevEntries[p] as FileEntry).mode === e.mode ? p : byHashMode.get(`${e.sha256}:${e.mode}`)
    }
    // For each linked file, the stat its source inode had when its content was last
    // hashed: an inode still matching it needs no second read (verification by stat).
    const prevStat = req.linkFrom?.manifest.stat
    const entries = req.manifest.entries
    // Directories first (any order: mkdir -p), so files can then go in any order.
    const dirs: Array<[string, number]> = []
    for (const p in entries) {
      const e = entries[p]
      if (e.type !== 'dir') continue
      const dest = `${staging}/${p}`
      mkdirSync(dest, { recursive: true })
      dirs.push([dest, e.mode])
    }
    // Files to copy go to the thread pool now and copy while this thread links.
    const copies = new CopyQueue()
    const rels: string[] = []
    const prevs: string[] = []
    /** rels[i] -> i */
    const index = new Map<string, number>()
    /** [inode, size, mtimeMs, mode] of the link made for rels[i]; NaN when it was copied instead. */
    let linkStat = new Float64Array(0)
    let linked = 0
    let copied = 0
    try {
      for (const p in entries) {
        const e = entries[p]
        if (e.type === 'symlink') symlinkSync(e.target, `${staging}/${p}`)
        if (e.type !== 'file') continue
        const prev = from ? linkable(e) : undefined
        if (prev !== undefined) {
          index.set(p, rels.length)
          rels.push(p)
          prevs.push(prev)
        } else {
          copies.add(childPath(sourceDir, p), `${staging}/${p}`, e.mode)
          copied++
        }
      }
      // Let the queued copies start on the pool before this thread links.
      await null
      linkStat = new Float64Array(rels.length * 4).fill(NaN)
      for (let i = 0; i < rels.length; i++) {
        const dest = `${staging}/${rels[i]}`
        try {
          linkSync(`${from}/${prevs[i]}`, dest)
        } catch (err) {
          // EXDEV/EMLINK/ENOENT: fall back to a copy.
          if (!['EXDEV', 'EMLINK', 'ENOENT', 'EPERM'].includes(errno(err) ?? '')) throw err
          copies.add(childPath(sourceDir, rels[i]), dest, (entries[rels[i]] as FileEntry).mode)
          copied++
          continue
        }
        // The inode the new name holds, taken now for the verification (its dentry is
        // hot, so cheaper than a second lstat in the walk; bench/NOTES.md).
        const st = lstatSync(dest)
        linkStat[i * 4] = st.ino
        linkStat[i * 4 + 1] = st.size
        linkStat[i * 4 + 2] = st.mtimeMs
        linkStat[i * 4 + 3] = st.mode
        linked++
        // Let finished copies hand the pool their next file.
        if (i % 512 === 511) await new Promise<void>((r) => setImmediate(r))
      }
    } finally {
      // Never leave a copy running into a directory the caller may remove.
      await copies.settled()
    }
    copies.throwIfFailed()
    for (const p of req.shared) this.linkShared(staging, req.sourceDir, p)
    // Directory modes last, so a read-only directory does not stop its own filling.
    for (const [d, mode] of dirs.reverse()) chmodSync(d, mode)
    const stat: Record<string, [number, number, number]> = {}
    const linkedAt = (rel: string): number | undefined => {
      const i = index.get(rel)
      return i !== undefined && !Number.isNaN(linkStat[i * 4]) ? i : undefined
    }
    // A link is trusted when its inode still has the stat it had when its content was hashed.
    const trust = (rel: string, st: { ino: number; size: number; mtimeMs: number }) => {
      const i = linkedAt(rel)
      const e = i === undefined ? undefined : prevStat?.[prevs[i]]
      return e !== undefined && e[0] === st.ino && e[1] === st.size && e[2] === st.mtimeMs
    }
    const known = (rel: string) => {
      const i = linkedAt(rel)
      if (i === undefined) return undefined
      const k = i * 4
      return { ino: linkStat[k], size: linkStat[k + 1], mtimeMs: linkStat[k + 2], mode: linkStat[k + 3] }
    }
    const verify = verifyDir(staging, req.manifest, true, trust, stat, known)
    return {
      staging,
      verify,
      stat,
      counts: { files: req.manifest.files, bytes: req.manifest.bytes, linked, copied }
    }
  }

  /** `<release>/<p>` -> `<path>/shared/<p>`; the shared copy is seeded from the source (or an empty dir) once. */
  private linkShared(staging: string, sourceDir: string, p: string): void {
    const shared = join(this.base, 'shared', p)
    if (!existsSync(shared)) {
      mkdirSync(dirname(shared), { recursive: true })
      const src = join(sourceDir, p)
      if (existsSync(src)) cpSync(src, shared, { recursive: true, verbatimSymlinks: true })
      else mkdirSync(shared)
    }
    const dest = join(staging, p)
    mkdirSync(dirname(dest), { recursive: true })
    symlinkSync(sharedLinkTarget(p), dest)
  }

  async verify(id: string, deep: boolean): Promise<VerifyResult> {
    const m = this.readManifestOnly(id)
    if (!m) return { ok: false, checked: 0, problems: [`release ${id} has no manifest`] }
    // Not deep: presence and types only — the release was hashed when it was deployed.
    return verifyDir(this.releasePath(id), m, deep ? true : 'presence')
  }

  async switchTo(id: string): Promise<void> {
    if (!existsSync(this.releasePath(id))) throw new TargetError(`${this.name}: release ${id} does not exist`)
    const link = join(this.base, L.CURRENT)
    const tmp = tempBeside(link)
    symlinkSync(L.currentLinkTarget(id), tmp)
    try {
      renameSync(tmp, link)
    } catch (e) {
      rmSync(tmp, { force: true })
      if (errno(e) === 'EISDIR' || errno(e) === 'ENOTEMPTY' || errno(e) === 'EEXIST') {
        throw new TargetError(`${link} is a directory, not a symlink; move it away first`)
      }
      throw e
    }
    fsyncDir(this.base)
  }

  async slot(name: string): Promise<string | undefined> {
    const link = join(this.base, L.slotPath(name))
    let target: string
    try {
      target = readlinkSync(link)
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return undefined
      if (errno(e) === 'EINVAL') throw new TargetError(`${link} exists but is not a symlink; move it away first`)
      throw e
    }
    const id = L.parseSlotLink(target)
    if (id === undefined) throw new TargetError(`${link} points at '${target}', not at ../releases/<id>`)
    return id
  }

  async slots(): Promise<Record<string, string>> {
    const dir = join(this.base, L.SLOTS)
    const out: Record<string, string> = {}
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return out
      throw e
    }
    for (const n of names.sort()) {
      if (!L.isSlotName(n)) continue
      const id = await this.slot(n)
      if (id !== undefined) out[n] = id
    }
    return out
  }

  async switchSlot(name: string, id: string): Promise<void> {
    if (!existsSync(this.releasePath(id))) throw new TargetError(`${this.name}: release ${id} does not exist`)
    const dir = join(this.base, L.SLOTS)
    try {
      mkdirSync(dir, { recursive: true })
    } catch (e) {
      if (errno(e) === 'EEXIST' || errno(e) === 'ENOTDIR')
        throw new TargetError(`${dir} is not a directory; move it away first`)
      throw e
    }
    const link = join(this.base, L.slotPath(name))
    const tmp = tempBeside(link)
    symlinkSync(L.slotLinkTarget(id), tmp)
    try {
      renameSync(tmp, link)
    } catch (e) {
      rmSync(tmp, { force: true })
      if (errno(e) === 'EISDIR' || errno(e) === 'ENOTEMPTY' || errno(e) === 'EEXIST') {
        throw new TargetError(`${link} is a directory, not a symlink; move it away first`)
      }
      throw e
    }
    fsyncDir(dir)
  }

  async activate(req: ActivateRequest): Promise<ActivateResult> {
    return runCommand(req.argv, {
      cwd: this.releasePath(req.id),
      env: req.env,
      timeoutMs: req.timeoutMs,
      onLine: (l) => this.log(`activate: ${l}`)
    })
  }

  async removeRelease(id: string): Promise<void> {
    const dir = this.releasePath(id)
    if (!existsSync(dir) && !lstatExists(dir)) return
    // Rename first: a crash mid-delete leaves a partial (cleaned later), never a half release under its name.
    const aside = join(this.releases, L.removingName(id))
    renameSync(dir, aside)
    rmSync(this.manifestFile(id), { force: true })
    rmSync(this.cacheFile(id), { force: true })
    removeTree(aside)
  }

  async close(): Promise<void> {}
}

/** A directory's names; none when it is missing or not a directory (a stray file there holds no temp files). */
function entries(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch (e) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return []
    throw e
  }
}

function isDir(p: string): boolean {
  try {
    return lstatSync(p).isDirectory()
  } catch {
    return false
  }
}

/**
 * rm -rf that also removes read-only directories (a release keeps its source's
 * modes): gives the owner rwx on every directory first. Only directories: a
 * file's mode is shared with every release hard-linked to it, the live one too.
 */
export function removeTree(p: string): void {
  try {
    rmSync(p, { recursive: true, force: true })
    return
  } catch (e) {
    if (errno(e) !== 'EACCES' && errno(e) !== 'EPERM') throw e
  }
  const open = (d: string): void => {
    // Not ours to change (another owner) or unreadable: rmSync below names what is stuck.
    try {
      const st = lstatSync(d)
      if (!st.isDirectory()) return
      if ((st.mode & 0o700) !== 0o700) chmodSync(d, (st.mode & 0o7777) | 0o700)
      for (const n of readdirSync(d)) open(join(d, n))
    } catch {
      // as above
    }
  }
  open(p)
  rmSync(p, { recursive: true, force: true })
}

function lstatExists(p: string): boolean {
  try {
    lstatSync(p)
    return true
  } catch {
    return false
  }
}

/**
 * Copies files on libuv's thread pool, COPY_WIDTH at a time (the pool has 4
 * threads; 2 cores here), so the copying overlaps the caller's linking. The
 * first failure stops new copies; settled() waits until none is in flight.
 */
const COPY_WIDTH = 16

class CopyQueue {
  private readonly slots = new Semaphore(COPY_WIDTH)
  private readonly pending: Array<Promise<void>> = []
  private failure: { error: unknown } | undefined

  /** A copy starts at the caller's next await (a microtask), when a slot is free. */
  add(src: string, dest: string, mode: number): void {
    const copy = async () => {
      if (this.failure) return
      try {
        await copyFile(src, dest)
        await chmod(dest, mode)
      } catch (e) {
        this.failure ??= { error: e }
      }
    }
    this.pending.push(this.slots.with(copy))
  }

  async settled(): Promise<void> {
    await Promise.all(this.pending)
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure.error
  }
}
