/**
 * The `source` of a deploy: a directory, or a .tar.gz extracted on the runner.
 * Tarballs are listed first and refused whole when any entry could land outside
 * the release (tar slip): absolute paths, `..` segments, symlinks or hard links
 * that point outside, device files. Only then extracted (node-tar, which also
 * strips such paths itself: two independent guards), without owners.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { join, posix } from 'node:path'
import { linkProblem, type TreeNode } from './links.js'
import { linkStaysInside } from './manifest.js'

export class SourceError extends Error {}

export type SourceKind = 'directory' | 'tar.gz'

export const SOURCE_FORM = 'a directory or a .tar.gz file'

/** What `source` is, checked before any side effect. */
export function sourceKind(source: string): SourceKind {
  let st
  try {
    st = statSync(source)
  } catch {
    throw new SourceError(`Input 'source' has invalid value '${source}': it does not exist (expected ${SOURCE_FORM})`)
  }
  if (st.isDirectory()) return 'directory'
  if (st.isFile() && /\.(tar\.gz|tgz)$/i.test(source)) return 'tar.gz'
  throw new SourceError(`Input 'source' has invalid value '${source}': expected ${SOURCE_FORM}`)
}

const ALLOWED = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link'])

/** Why an archive entry may not be extracted, or undefined when it is safe. */
export function unsafeEntry(e: { path: string; type: string; linkpath?: string }): string | undefined {
  const p = e.path
  if (p.includes('\0')) return 'has a NUL byte in its name'
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p) || p.startsWith('\\')) return 'is an absolute path'
  if (p.split(/[/\\]/).includes('..')) return "contains '..'"
  if (!ALLOWED.has(e.type)) return `is a ${e.type} (only files, directories and links are allowed)`
  const rel = posix.normalize(p.replace(/\/+$/, ''))
  if (e.type === 'SymbolicLink' && !linkStaysInside(rel, e.linkpath ?? '')) {
    return `is a symlink to '${e.linkpath}', outside the release`
  }
  if (e.type === 'Link') {
    const t = e.linkpath ?? ''
    if (t === '' || t.startsWith('/') || t.split('/').includes('..'))
      return `is a hard link to '${t}', outside the release`
  }
  return undefined
}

/** An archive path as a release-relative one: no './' prefix, no trailing '/'. */
function relOf(p: string): string {
  return posix.normalize(p.replace(/\/+$/, '')).replace(/^(\.\/)+/, '')
}

/**
 * Checks the links of a listed archive against its whole tree: a symlink must
 * stay inside and (node-tar refuses the rest at extraction, after writing half
 * the tree) never go through another link; a hard link must name a member
 * listed before it.
 */
function linkProblems(entries: Array<{ path: string; type: string; linkpath?: string }>, bad: string[]): void {
  const tree = new Map<string, TreeNode>()
  const seen = new Set<string>()
  for (const e of entries) {
    const rel = relOf(e.path)
    if (e.type === 'Link') {
      const t = relOf(e.linkpath ?? '')
      const node = tree.get(t)
      if (!seen.has(t) || typeof node !== 'object' || node.type === 'dir')
        bad.push(`'${rel}' is a hard link to '${e.linkpath}', which the archive does not hold before it`)
      else {
        const why = linkProblem('', t, (p) => (p === t ? { type: 'file' } : tree.get(p)), { noLinksInPath: true })
        if (why) bad.push(`'${rel}' is a hard link to '${e.linkpath}', which ${why}`)
      }
    }
    seen.add(rel)
    tree.set(
      rel,
      e.type === 'SymbolicLink'
        ? { type: 'symlink', target: e.linkpath ?? '' }
        : e.type === 'Directory'
          ? { type: 'dir' }
          : { type: 'file' }
    )
    // Parents an archive leaves implicit are directories.
    for (let d = posix.dirname(rel); d !== '.' && !tree.has(d); d = posix.dirname(d)) tree.set(d, { type: 'dir' })
  }
  for (const [rel, node] of tree) {
    if (typeof node !== 'object' || node.type !== 'symlink') continue
    const why = linkProblem(rel, node.target, (p) => tree.get(p), { noLinksInPath: true })
    if (why) bad.push(`'${rel}' -> '${node.target}' ${why}`)
  }
}

/** Checks every entry, then extracts into a new directory under `tmpRoot`; returns it. */
export async function extractTarball(file: string, tmpRoot: string): Promise<string> {
  // Loaded only for a tarball: a directory source (the usual case) need not pay to start it.
  const tar = await import('tar')
  const bad: string[] = []
  const listed: Array<{ path: string; type: string; linkpath?: string }> = []
  const invalid = `Input 'source' has invalid value '${file}'`
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: (entry) => {
        const why = unsafeEntry(entry)
        if (why && bad.length < 5) bad.push(`'${entry.path}' ${why}`)
        listed.push({ path: entry.path, type: entry.type, linkpath: entry.linkpath })
      }
    })
  } catch (e) {
    throw new SourceError(`${invalid}: it is not a readable .tar.gz (${(e as Error).message}); expected ${SOURCE_FORM}`)
  }
  if (bad.length) throw new SourceError(`${invalid}: it was refused (tar slip): entry ${bad.join('; entry ')}`)
  linkProblems(listed, bad)
  if (bad.length) throw new SourceError(`${invalid}: entry ${bad.slice(0, 5).join('; entry ')}`)
  const dir = mkdtempSync(join(tmpRoot, 'gantry-source-'))
  try {
    await tar.x({ file, cwd: dir, strict: true, preserveOwner: false, preservePaths: false })
  } catch (e) {
    // Never leave half a release in RUNNER_TEMP (it is often uploaded as an artifact).
    rmSync(dir, { recursive: true, force: true })
    throw new SourceError(`${invalid}: it could not be extracted (${(e as Error).message})`)
  }
  return dir
}
