/**
 * The plain reference for buildManifest (manifest.ts): a recursive readdir,
 * one lstat, readFileSync and sha256 per file, no stat cache and no shared
 * read buffer. buildManifest's entries, files, bytes and shared must equal
 * these; `source` (build time and stats) is left out. Used by the property test only.
 */
import { createHash } from 'node:crypto'
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { linkProblem, type TreeNode } from './links.js'
import { ManifestError, type Manifest, type ManifestEntry } from './manifest.js'

export function referenceManifest(dir: string, shared: readonly string[] = []): Omit<Manifest, 'source'> {
  const entries: Record<string, ManifestEntry> = {}
  const isShared = (rel: string) => shared.some((s) => rel === s || rel.startsWith(`${s}/`))
  let files = 0
  let bytes = 0
  const visit = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel))) {
      const r = rel === '' ? name : `${rel}/${name}`
      if (isShared(r)) continue
      const st = lstatSync(join(dir, r))
      if (st.isSymbolicLink()) entries[r] = { type: 'symlink', target: readlinkSync(join(dir, r)) }
      else if (st.isDirectory()) {
        entries[r] = { type: 'dir', mode: st.mode & 0o7777 }
        visit(r)
      } else if (st.isFile()) {
        const data = readFileSync(join(dir, r))
        entries[r] = {
          type: 'file',
          sha256: createHash('sha256').update(data).digest('hex'),
          size: data.length,
          mode: st.mode & 0o7777
        }
        files++
        bytes += data.length
      } else throw new ManifestError(`source entry '${r}' is not a file, directory or symlink`)
    }
  }
  visit('')
  const lookup = (p: string): TreeNode => (isShared(p) ? 'shared' : entries[p])
  for (const [r, e] of Object.entries(entries)) {
    if (e.type !== 'symlink') continue
    const why = linkProblem(r, e.target, lookup)
    if (why) throw new ManifestError(`symlink '${r}' -> '${e.target}' ${why}`)
  }
  return { version: 1, entries, shared: [...shared], files, bytes }
}
