/**
 * A deploy target, in three parts by what they do: a ReleaseStore (writes and
 * verifies releases), a ReleaseSwitch (which release is live, and switching),
 * a StateStore (lock and history). local and ssh keep all three in one tree
 * per host, with the names of layout.ts.
 *
 * The policy (which release to link from, lock breaking, rollback target,
 * what to prune, multi-host switch-back) lives in deploy.ts / rollback.ts /
 * lock.ts / history.ts and is the same for every target. A target only does
 * the primitive operations, each on its own host, and never decides. So the
 * interface carries no local-fs assumptions: ids and release-relative paths
 * in, plain data out; the source is always a directory on the runner (a
 * tarball is extracted on the runner first), and the ssh target can implement
 * every operation with `ssh`/`rsync` argument arrays.
 */
import type { History } from './history.js'
import type { LockInfo } from './lock-format.js'
import type { Manifest, VerifyResult } from './manifest.js'

/** How a release was written: files hard-linked from the previous release vs. copied. */
export interface PrepareResult {
  /** Where the release now is, as the target sees it (the `release-path` output). */
  path: string
  files: number
  bytes: number
  linked: number
  copied: number
}

export interface PrepareRequest {
  id: string
  /** A directory on the runner holding the release content (shared paths already excluded by the manifest). */
  sourceDir: string
  /** sha256 manifest of sourceDir (built once on the runner by buildManifest). */
  manifest: Manifest
  /**
   * A complete release on this target whose files may be hard-linked when the
   * manifest hash matches (the current release, usually), with its manifest.
   */
  linkFrom?: { id: string; manifest: Manifest }
  /** Paths (release-relative) to link from `<path>/shared` (seeded from the source when missing there). */
  shared: string[]
}

export interface ActivateRequest {
  id: string
  /** argv[0] and its arguments; spawned without a shell, cwd = the release directory. */
  argv: string[]
  /** Extra environment (GANTRY_RELEASE_ID, GANTRY_RELEASE_PATH, GANTRY_PREVIOUS_RELEASE_ID, GANTRY_SLOT with a slot). */
  env: Record<string, string>
  timeoutMs: number
}

export interface ActivateResult {
  code: number | null
  signal?: string | null
  /** Tail of the combined output, for the summary. */
  output: string
  timedOut: boolean
}

/** What cleanPartials() removed, for the report. */
export interface CleanResult {
  partials: string[]
  /** What could not be removed (with why): a warning, never a failed deploy. */
  failed?: string[]
}

/** Every part of a target has a label for logs and summaries. */
export interface Named {
  /** `local:/srv/app`, `deploy@web1:2222:/srv/app`. */
  readonly name: string
}

/** What keeps a target's state: the deploy lock and the history (.gantry/ on a filesystem). */
export interface StateStore extends Named {
  // --- lock primitives (the policy — waiting, staleness, breaking — is lock.ts) ---
  /** Atomically creates the lock naming `info`; false when a lock already exists. */
  createLock(info: LockInfo): Promise<boolean>
  /** The lock's owner; undefined when there is none; 'unreadable' when it exists but does not parse. */
  readLock(): Promise<LockInfo | 'unreadable' | undefined>
  /** Replaces the lock atomically when it still carries `info.token` (heartbeat); false otherwise. */
  refreshLock(info: LockInfo): Promise<boolean>
  /**
   * Removes the lock when it still carries `token` (or, for a stale or unreadable
   * lock being broken, when it is byte-for-byte what was judged); false when it changed.
   */
  removeLock(expect: { token?: string; raw?: string }): Promise<boolean>
  /** The raw lock text (for break-if-unchanged). */
  readLockRaw(): Promise<string | undefined>

  // --- history ---
  /** history.json, or an empty history when there is none yet. */
  readHistory(): Promise<History>
  /** Writes history.json atomically (temp file, fsync, rename, fsync of the directory). */
  writeHistory(history: History): Promise<void>
  /**
   * Renames history.json to `.gantry/<name>` (or `<name>-2`, `-3`, … when taken),
   * never replacing a file; returns the name used.
   */
  keepHistoryAside(name: string): Promise<string>
  /**
   * Another state file, `.gantry/<name>` (traffic.json): its text, or undefined
   * when there is none. The name is one of layout.ts's, never a path.
   */
  readState(name: string): Promise<string | undefined>
  /** Writes `.gantry/<name>` atomically (as writeHistory). */
  writeState(name: string, text: string): Promise<void>
  /** Whether `<path>` holds Gantry's layout (.gantry/ or releases/): a rollback needs a deployed path. */
  hasLayout(): Promise<boolean>
}

/** What stores releases: writes, verifies, lists and removes them. */
export interface ReleaseStore extends Named {
  /** Creates what the store needs (releases/, shared/, .gantry/ when missing; idempotent). */
  init(): Promise<void>
  /** Ids of the complete releases (no partials), in no particular order. */
  listReleases(): Promise<string[]>
  /**
   * The manifest stored with a release, or undefined when it has none. With it,
   * the optional caches a target keeps (Manifest.source: source-file stats, so
   * the runner re-hashes only changed files; Manifest.stat: the local target's
   * inode stats for verification by stat). A target may drop them: then every
   * file is hashed again, nothing else changes.
   */
  readManifest(id: string): Promise<Manifest | undefined>
  /** Removes staging directories and manifests without a release that a crash left behind. */
  cleanPartials(): Promise<CleanResult>
  /**
   * Writes the release into staging, hard-linking files from linkFrom whose hash
   * matches, links shared paths, verifies it against the manifest, stores the
   * manifest, then moves it into releases/<id>. Throws (leaving nothing under
   * releases/<id>) when verification fails.
   */
  prepare(req: PrepareRequest): Promise<PrepareResult>
  /**
   * Re-reads a release and checks it against its stored manifest. deep: every
   * file's hash; otherwise a quick check for a rollback (at least every entry
   * present with its type; the local target stops there, ssh also checks sizes).
   */
  verify(id: string, deep: boolean): Promise<VerifyResult>
  /** Removes a release and its manifest (never called for the current one). */
  removeRelease(id: string): Promise<void>
  /** Path of a release as the target sees it. */
  releasePath(id: string): string
}

/** What puts a stored release in service: which one is live, switching to another, activating it. */
export interface ReleaseSwitch extends Named {
  /** Id of the live release (`current` names it), or undefined when there is none. */
  current(): Promise<string | undefined>
  /** Makes releases/<id> the live one atomically (on a filesystem: rename(2) of a new `current` symlink). */
  switchTo(id: string): Promise<void>
  /** Id of the release slot `<name>` links to (`slots/<name>`), or undefined when the slot has none. */
  slot(name: string): Promise<string | undefined>
  /** Every slot link: slot name -> release id (pruning keeps what they name). */
  slots(): Promise<Record<string, string>>
  /** Links slots/<name> to releases/<id> atomically (a new symlink renamed over the old, as switchTo does for current). */
  switchSlot(name: string, id: string): Promise<void>
  /** Runs the activate command in the release directory. */
  activate(req: ActivateRequest): Promise<ActivateResult>
}

/**
 * One host's target: all three parts (local and ssh keep all three in one tree
 * on the host). The policy modules take only the part they use (lock.ts a
 * StateStore, history-load.ts a StateStore with the releases it rebuilds
 * from), so a target that is not a filesystem implements what applies.
 */
export interface Target extends StateStore, ReleaseStore, ReleaseSwitch {
  /** `<path>` as the target sees it. */
  readonly base: string
  /** The router's server name for this host (ssh: `web1=` on its hosts line, else the host part); none for local. */
  readonly serverName?: string
  /** The host part of its `hosts` line (ssh), for host-health-url's `{host}`; none for local. */
  readonly hostAddress?: string
  /** Releases connections, removes temporary keys. */
  close(): Promise<void>
}
