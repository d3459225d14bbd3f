/**
 * The `source` of a deploy: a directory, or a .tar.gz extracted on the runner.
 * Tarballs are listed first and refused whole when any entry could land outside
 * the release (tar slip): absolute paths, `..` segments, symlinks or hard links
 * that point outside, device files. Only then extracted (node-tar, which also
 * strips such paths itself: two independent guards), without owners.
 */
import { mkdtempSync, statSync } from 'node:fs'
import { join, posix } from 'node:path'
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

/** Checks every entry, then extracts into a new directory under `tmpRoot`; returns it. */
export async function extractTarball(file: string, tmpRoot: string): Promise<string> {
  // Loaded only for a tarball: a directory source (the usual case) need not pay to start it.
  const tar = await import('tar')
  const bad: string[] = []
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: (entry) => {
        const why = unsafeEntry(entry)
        if (why && bad.length < 5) bad.push(`'${entry.path}' ${why}`)
      }
    })
  } catch (e) {
    throw new SourceError(`source '${file}' is not a readable .tar.gz: ${(e as Error).message}`)
  }
  if (bad.length) throw new SourceError(`source '${file}' was refused (tar slip): entry ${bad.join('; entry ')}`)
  const dir = mkdtempSync(join(tmpRoot, 'gantry-source-'))
  await tar.x({ file, cwd: dir, strict: true, preserveOwner: false, preservePaths: false })
  return dir
}
