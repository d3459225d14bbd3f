/**
 * Reads the remote SCAN output and checks it against a manifest with exactly
 * the rules (and messages) of verifyDir: every entry present with the same
 * type, hash, size and mode; shared paths are links into `<path>/shared`;
 * nothing else. The remote only lists and hashes (stat, readlink, sha256sum);
 * the judgement stays here, the same for every target.
 */
import { ReleaseCheck, type EntryKind, type Manifest, type VerifyResult } from '../manifest.js'

export interface ScannedEntry {
  kind: EntryKind
  mode: number
  size: number
  links: number
  target?: string
  sha256?: string
}

const S_IFMT = 0o170000
const KINDS: Record<number, ScannedEntry['kind']> = { 0o100000: 'file', 0o040000: 'dir', 0o120000: 'symlink' }

export class ScanError extends Error {}

function rel(p: string): string {
  if (!p.startsWith('./')) throw new ScanError(`unexpected path in the remote listing: '${p}'`)
  return p.slice(2)
}

/** Parses '<hex mode> <size> <links> ./<rel>' records, '#links' pairs and '#hashes' sha256sum -z lines. */
export function parseScan(out: Buffer): Map<string, ScannedEntry> {
  const records = out.toString('utf8').split('\0')
  if (records[records.length - 1] === '') records.pop()
  const entries = new Map<string, ScannedEntry>()
  let section: 'stat' | 'links' | 'hashes' = 'stat'
  for (let i = 0; i < records.length; i++) {
    const r = records[i]
    if (r === '#links') {
      section = 'links'
      continue
    }
    if (r === '#hashes') {
      section = 'hashes'
      continue
    }
    if (section === 'stat') {
      const m = r.match(/^([0-9a-f]+) (\d+) (\d+) (.*)$/s)
      if (!m) throw new ScanError(`unexpected record in the remote listing: '${r.slice(0, 80)}'`)
      const raw = parseInt(m[1], 16)
      entries.set(rel(m[4]), {
        kind: KINDS[raw & S_IFMT] ?? 'other',
        mode: raw & 0o7777,
        size: Number(m[2]),
        links: Number(m[3])
      })
    } else if (section === 'links') {
      const e = entries.get(rel(r))
      const target = records[++i]
      if (target === undefined) throw new ScanError('truncated remote listing')
      if (e) e.target = target
    } else {
      // sha256sum -z: '<64 hex>  ./<rel>' (binary mode marks the space as '*').
      const m = r.match(/^([0-9a-f]{64}) [ *](.*)$/s)
      if (!m) throw new ScanError(`unexpected hash line in the remote listing: '${r.slice(0, 80)}'`)
      const e = entries.get(rel(m[2]))
      if (e) e.sha256 = m[1]
    }
  }
  return entries
}

/** verifyDir's rules (ReleaseCheck) over a scanned listing (deep: the listing carries hashes). */
export function verifyScan(entries: Map<string, ScannedEntry>, manifest: Manifest, deep: boolean): VerifyResult {
  const check = new ReleaseCheck(manifest)
  // verifyDir walks only into directories the manifest expects: do the same by
  // looking at an entry only when its parent was walked.
  const walked = new Set<string>([''])
  const paths = [...entries.keys()].sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1))
  for (const r of paths) {
    const slash = r.lastIndexOf('/')
    if (!walked.has(slash < 0 ? '' : r.slice(0, slash))) continue
    const got = entries.get(r)!
    const want = check.entry(r, got.kind, () => got.target)
    if (want === 'descend') walked.add(r)
    else if (!want) continue
    else if (!deep) {
      if (got.size !== want.size) check.note(`${r}: size ${got.size}, expected ${want.size}`)
      else if (got.mode !== want.mode) check.note(`${r}: mode differs`)
    } else if (got.sha256 === undefined) {
      check.note(`${r}: no hash in the remote listing`)
    } else if (got.sha256 !== want.sha256 || got.size !== want.size) {
      check.note(`${r}: content differs (sha256 mismatch)`)
    } else if (got.mode !== want.mode) {
      check.note(`${r}: mode ${got.mode.toString(8)}, expected ${want.mode.toString(8)}`)
    }
  }
  return check.result()
}
