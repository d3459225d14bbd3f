/**
 * The sha256 manifest of a release: every file's hash, size and mode, every
 * directory and symlink. It decides which files can be hard-linked from the
 * previous release and proves a release complete before it may become current.
 *
 * Hashing uses synchronous reads on purpose: for thousands of small files one
 * blocking read loop is faster than the thread-pool round trips of fs/promises
 * (bench/NOTES.md has the measurement), and a deploy step has nothing else to do meanwhile.
 */
import { closeSync, fstatSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, type Dirent } from 'node:fs'
import { createHash } from 'node:crypto'
import { posix, resolve } from 'node:path'
import { linkProblem, type TreeNode } from './links.js'

export type ManifestEntry =
  | { type: 'file'; sha256: string; size: number; mode: number }
  | { type: 'dir'; mode: number }
  | { type: 'symlink'; target: string }

export interface Manifest {
  version: 1
  /** Release-relative POSIX paths → entry. */
  entries: Record<string, ManifestEntry>
  /** Release-relative paths that are symlinks into `<path>/shared` (not part of the content). */
  shared: string[]
  files: number
  bytes: number
  /**
   * Local target only: [inode, size, mtimeMs] of each file when its content was
   * last hashed in this release, so the next release can trust a hard link to
   * an untouched inode without reading it again (like git's index).
   */
  stat?: Record<string, [number, number, number]>
  /**
   * Where the manifest was built from on the runner, with [inode, size, mtimeMs,
   * ctimeMs] of each source file: the next build from the same directory reuses
   * the hash of a file whose stat is unchanged instead of reading it (git's
   * index does the same; ctime cannot be set back by a user, so a rewritten file
   * shows even if its mtime was restored).
   */
  source?: { root: string; builtAt: number; stat: Record<string, [number, number, number, number]> }
}

/** A file changed within this long before a build is not trusted from the cache (coarse timestamps). */
export const RACY_MS = 2000

/** Decides, from a file's lstat, that its content is known good without hashing it. */
export type TrustStat = (rel: string, st: { ino: number; size: number; mtimeMs: number }) => boolean

export interface VerifyResult {
  ok: boolean
  checked: number
  /** The first problems found (at most 20), each naming a path. */
  problems: string[]
}

/** A source the release may not be built from (escaping link, device file, …). */
export class ManifestError extends Error {}

const BUF = Buffer.allocUnsafe(1 << 20)

/** sha256 of a file's bytes, with its size and mode. */
export function hashFile(file: string): {
  sha256: string
  size: number
  mode: number
  ino: number
  mtimeMs: number
  ctimeMs: number
} {
  const fd = openSync(file, 'r')
  try {
    const st = fstatSync(fd)
    const h = createHash('sha256')
    let n: number
    while ((n = readSync(fd, BUF, 0, BUF.length, null)) > 0) h.update(BUF.subarray(0, n))
    return {
      sha256: h.digest('hex'),
      size: st.size,
      mode: st.mode & 0o7777,
      ino: st.ino,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs
    }
  } finally {
    closeSync(fd)
  }
}

/** True when a relative link target, resolved from the link's directory, stays inside the release. */
export function linkStaysInside(linkPath: string, target: string): boolean {
  if (target === '' || posix.isAbsolute(target) || target.includes('\0')) return false
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target))
  return resolved !== '..' && !resolved.startsWith('../') && !posix.isAbsolute(resolved)
}

/**
 * `dir/name` for a normalised absolute `dir` and a name read from it. The hot
 * loops build one path per file: path.join's normalising costs more per call
 * than the lstat(2) the path is for (bench/NOTES.md).
 */
export function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`
}

/** True when `rel` lies at or below one of `roots` (release-relative paths). */
export function under(rel: string, roots: readonly string[]): boolean {
  return roots.some((r) => rel === r || rel.startsWith(`${r}/`))
}

/**
 * Builds the manifest of a directory. Paths listed in `shared` (and anything
 * below them) are left out: they become links into `<path>/shared`.
 * Reference: referenceManifest (manifest-reference.ts).
 */
export function buildManifest(dir: string, shared: readonly string[] = [], previous?: Manifest): Manifest {
  const entries: Record<string, ManifestEntry> = {}
  const builtAt = Date.now()
  const root = resolve(dir)
  const stat: Record<string, [number, number, number, number]> = {}
  const cache = previous?.source?.root === root ? previous.source : undefined
  let files = 0
  let bytes = 0
  const links: string[] = []
  const walk = (rel: string, abs: string) => {
    for (const d of readdirSync(abs, { withFileTypes: true })) {
      const r = rel === '' ? d.name : `${rel}/${d.name}`
      if (shared.length && under(r, shared)) continue
      const p = childPath(abs, d.name)
      if (d.isDirectory()) {
        entries[r] = { type: 'dir', mode: lstatSync(p).mode & 0o7777 }
        walk(r, p)
      } else if (d.isFile()) {
        const known = cache?.stat[r]
        const was = previous?.entries[r]
        if (known && was?.type === 'file') {
          const st = lstatSync(p)
          if (
            st.ino === known[0] &&
            st.size === known[1] &&
            st.mtimeMs === known[2] &&
            st.ctimeMs === known[3] &&
            st.mtimeMs < cache!.builtAt - RACY_MS &&
            st.size === was.size &&
            (st.mode & 0o7777) === was.mode
          ) {
            entries[r] = was
            stat[r] = known
            files++
            bytes += was.size
            continue
          }
        }
        const f = hashFile(p)
        entries[r] = { type: 'file', sha256: f.sha256, size: f.size, mode: f.mode }
        stat[r] = [f.ino, f.size, f.mtimeMs, f.ctimeMs]
        files++
        bytes += f.size
      } else if (d.isSymbolicLink()) {
        entries[r] = { type: 'symlink', target: readlinkSync(p) }
        links.push(r)
      } else {
        throw new ManifestError(`source entry '${r}' is not a file, directory or symlink`)
      }
    }
  }
  walk('', root)
  // Only now, with the whole tree known: a link may go through links listed later.
  const lookup = (p: string): TreeNode => (shared.length && under(p, shared) ? 'shared' : entries[p])
  for (const r of links) {
    const target = (entries[r] as { target: string }).target
    const why = linkProblem(r, target, lookup)
    if (why) throw new ManifestError(`symlink '${r}' -> '${target}' ${why}`)
  }
  return { version: 1, entries, shared: [...shared], files, bytes, source: { root, builtAt, stat } }
}

/** Where a shared path's symlink points, relative to the link (release dir is `<path>/releases/<id>`). */
export function sharedLinkTarget(rel: string): string {
  const depth = rel.split('/').length - 1
  return `${'../'.repeat(depth + 2)}shared/${rel}`
}

/** What a verifier found at a path of a release. */
export type EntryKind = 'file' | 'dir' | 'symlink' | 'other'

/**
 * The rules every verifier shares, whether it walks a local directory or reads
 * a remote listing: shared paths are links into `<path>/shared`, nothing lies
 * outside the manifest, each entry has its type, nothing is missing. The
 * content check of a file differs by target, so entry() hands it back.
 */
export class ReleaseCheck {
  readonly problems: string[] = []
  checked = 0
  private readonly seen = new Set<string>()
  private readonly shared: Set<string>

  constructor(private readonly manifest: Manifest) {
    this.shared = new Set(manifest.shared)
  }

  /** Records a problem (the first 20 are kept). */
  note(problem: string): void {
    if (this.problems.length < 20) this.problems.push(problem)
  }

  /**
   * Checks one entry found at `rel`. Returns 'descend' for a directory the
   * manifest expects, the manifest's entry for a file whose content the caller
   * must check, and undefined when nothing more is to be done.
   * `linkTarget` is read only for symlinks.
   */
  entry(
    rel: string,
    kind: EntryKind,
    linkTarget: () => string | undefined
  ): 'descend' | Extract<ManifestEntry, { type: 'file' }> | undefined {
    if (this.shared.has(rel)) {
      this.seen.add(rel)
      if (kind !== 'symlink' || linkTarget() !== sharedLinkTarget(rel)) this.note(`${rel}: not a link into shared/`)
      return undefined
    }
    const want = this.manifest.entries[rel]
    if (!want) {
      this.note(`${rel}: not in the manifest`)
      return undefined
    }
    this.seen.add(rel)
    this.checked++
    if (want.type === 'dir') {
      if (kind === 'dir') return 'descend'
      this.note(`${rel}: expected a directory`)
    } else if (want.type === 'symlink') {
      if (kind !== 'symlink' || linkTarget() !== want.target) this.note(`${rel}: expected a symlink to ${want.target}`)
    } else if (kind !== 'file') {
      this.note(`${rel}: expected a file`)
    } else {
      return want
    }
    return undefined
  }

  /** Adds every manifest entry not seen as missing, and returns the verdict. */
  result(): VerifyResult {
    for (const r of [...Object.keys(this.manifest.entries), ...this.manifest.shared])
      if (!this.seen.has(r)) this.note(`${r}: missing`)
    return { ok: this.problems.length === 0, checked: this.checked, problems: this.problems }
  }
}

const direntKind = (d: Dirent): EntryKind =>
  d.isSymbolicLink() ? 'symlink' : d.isDirectory() ? 'dir' : d.isFile() ? 'file' : 'other'

/**
 * Checks a release directory against a manifest (the rules of ReleaseCheck):
 * files have the same hash, size and mode. `deep: false` checks sizes instead
 * of hashes; `'presence'` checks only that every entry is there with its type
 * (a rollback to a release verified when it was deployed: no file opened, so
 * cheap even for many files; bench/NOTES.md). `trust` lets a caller skip hashing files it can
 * prove unchanged by their stat; `record` receives [inode, size, mtimeMs] of
 * every file checked; `known` gives the lstat a caller already took of a file
 * it just made (a hard link), instead of a second lstat of it here.
 */
export function verifyDir(
  dir: string,
  manifest: Manifest,
  deep: boolean | 'presence' = true,
  trust?: TrustStat,
  record?: Record<string, [number, number, number]>,
  known?: (rel: string) => { ino: number; size: number; mode: number; mtimeMs: number } | undefined
): VerifyResult {
  const check = new ReleaseCheck(manifest)
  const walk = (rel: string, abs: string) => {
    for (const d of readdirSync(abs, { withFileTypes: true })) {
      const r = rel === '' ? d.name : `${rel}/${d.name}`
      const p = childPath(abs, d.name)
      const want = check.entry(r, direntKind(d), () => readlinkSync(p))
      if (want === 'descend') walk(r, p)
      else if (want && deep !== 'presence') {
        const st = !deep || trust ? (known?.(r) ?? lstatSync(p)) : undefined
        if (st && (!deep || trust!(r, st))) {
          if (st.size !== want.size) check.note(`${r}: size ${st.size}, expected ${want.size}`)
          else if ((st.mode & 0o7777) !== want.mode) check.note(`${r}: mode differs`)
          if (record) record[r] = [st.ino, st.size, st.mtimeMs]
          continue
        }
        const got = hashFile(p)
        if (got.sha256 !== want.sha256 || got.size !== want.size) check.note(`${r}: content differs (sha256 mismatch)`)
        else if (got.mode !== want.mode)
          check.note(`${r}: mode ${got.mode.toString(8)}, expected ${want.mode.toString(8)}`)
        if (record) record[r] = [got.ino, got.size, got.mtimeMs]
      }
    }
  }
  try {
    walk('', resolve(dir))
  } catch (e) {
    check.note(`cannot read release: ${(e as Error).message}`)
  }
  return check.result()
}

/** Parses a stored manifest; undefined when it is not one. */
export function parseManifest(text: string): Manifest | undefined {
  try {
    const m = JSON.parse(text) as Manifest
    if (m && m.version === 1 && typeof m.entries === 'object' && Array.isArray(m.shared)) return m
  } catch {
    // fall through
  }
  return undefined
}
