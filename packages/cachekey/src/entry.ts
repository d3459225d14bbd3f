/**
 * A cache entry is a directory: `gantry-entry.json` (key, sha256 manifest of
 * the outputs, and the input index) plus `files/<path>` for each output file.
 * Both backends store and return such a directory; restore checks the manifest
 * before it writes a single byte into the work tree, so a corrupted entry is a
 * miss, never a half-restored build.
 */
import { createHash } from 'node:crypto'
import { chmod, copyFile, lstat, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { mapPool } from '@gantry/core'
import { compileGlobs, staticBase } from './globs.js'
import type { InputIndex } from './keys.js'

export const ENTRY_FILE = 'gantry-entry.json'
export const ENTRY_SCHEMA = 1

export interface ManifestFile {
  path: string
  size: number
  sha256: string
  mode: number
}

export interface EntryMeta {
  schema: typeof ENTRY_SCHEMA
  key: string
  /** Component directory, '.' for the whole tree. */
  dir: string
  createdAt: string
  files: ManifestFile[]
  index: InputIndex
}

const IO_CONCURRENCY = 8

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex')
}

/** Output files (relative to root) selected by patterns already prefixed with their component dir. */
export async function collectOutputs(root: string, patterns: readonly string[]): Promise<string[]> {
  const set = compileGlobs(patterns, '', true)
  const found = new Set<string>()
  const bases = new Set(patterns.filter((p) => !p.startsWith('!')).map((p) => staticBase(p.replace(/^\.\//, ''))))
  // node_modules only when a pattern names it (a `**` must not wander into installed packages).
  const intoNodeModules = patterns.some((p) => p.includes('node_modules'))
  async function walk(rel: string): Promise<void> {
    const abs = rel ? join(root, rel) : root
    let st = await lstat(abs).catch(() => undefined)
    // A symlink counts as the file it points to; a linked directory is not followed (workspace links loop).
    if (st?.isSymbolicLink()) {
      st = await stat(abs).catch(() => undefined)
      if (!st?.isFile()) return
    }
    if (!st) return
    if (st.isFile()) {
      if (set.match(rel)) found.add(rel)
      return
    }
    if (!st.isDirectory()) return
    for (const e of await readdir(abs)) {
      if (e === '.git' || (e === 'node_modules' && !intoNodeModules)) continue
      await walk(rel ? `${rel}/${e}` : e)
    }
  }
  for (const b of bases) await walk(b === '.' ? '' : b)
  return [...found].sort()
}

/** Copies the outputs into entryDir/files and writes the manifest; returns it. */
export async function stageEntry(
  root: string,
  outputs: readonly string[],
  entryDir: string,
  meta: Omit<EntryMeta, 'schema' | 'files' | 'createdAt'>
): Promise<EntryMeta> {
  await mkdir(join(entryDir, 'files'), { recursive: true })
  const files = await mapPool(outputs, IO_CONCURRENCY, async (p) => {
    const src = join(root, p)
    const buf = await readFile(src)
    const st = await stat(src)
    const dest = join(entryDir, 'files', p)
    await mkdir(dirname(dest), { recursive: true })
    await writeFile(dest, buf)
    return { path: p, size: buf.length, sha256: sha256(buf), mode: st.mode & 0o777 }
  })
  const full: EntryMeta = { schema: ENTRY_SCHEMA, createdAt: new Date().toISOString(), files, ...meta }
  await writeFile(join(entryDir, ENTRY_FILE), JSON.stringify(full))
  return full
}

export class CorruptEntry extends Error {}

/** Reads the entry's metadata; CorruptEntry when it is missing or malformed. */
export async function readEntryMeta(entryDir: string): Promise<EntryMeta> {
  let text: string
  try {
    text = await readFile(join(entryDir, ENTRY_FILE), 'utf8')
  } catch {
    throw new CorruptEntry(`${ENTRY_FILE} is missing`)
  }
  let meta: EntryMeta
  try {
    meta = JSON.parse(text) as EntryMeta
  } catch {
    throw new CorruptEntry(`${ENTRY_FILE} is not valid JSON`)
  }
  if (meta?.schema !== ENTRY_SCHEMA || !Array.isArray(meta.files) || typeof meta.index !== 'string') {
    throw new CorruptEntry(`${ENTRY_FILE} has an unknown layout`)
  }
  for (const f of meta.files) {
    if (typeof f?.path !== 'string' || f.path.startsWith('/') || f.path.split('/').includes('..')) {
      throw new CorruptEntry(`${ENTRY_FILE} names a path outside the work tree`)
    }
  }
  return meta
}

/** Checks every file against the sha256 manifest; CorruptEntry names the first mismatch. */
export async function verifyEntry(entryDir: string, meta: EntryMeta): Promise<void> {
  await mapPool(meta.files, IO_CONCURRENCY, async (f) => {
    let buf: Buffer
    try {
      buf = await readFile(join(entryDir, 'files', f.path))
    } catch {
      throw new CorruptEntry(`${f.path} is missing from the entry`)
    }
    if (buf.length !== f.size || sha256(buf) !== f.sha256) {
      throw new CorruptEntry(`${f.path} does not match its sha256 in the manifest`)
    }
  })
}

/** Copies the entry's files into root (after verifying, when asked). Returns the restored paths. */
export async function restoreEntry(entryDir: string, root: string, verify: boolean): Promise<EntryMeta> {
  const meta = await readEntryMeta(entryDir)
  if (verify) await verifyEntry(entryDir, meta)
  await mapPool(meta.files, IO_CONCURRENCY, async (f) => {
    const dest = join(root, f.path)
    await mkdir(dirname(dest), { recursive: true })
    try {
      await copyFile(join(entryDir, 'files', f.path), dest)
    } catch {
      throw new CorruptEntry(`${f.path} is missing from the entry`)
    }
    if (f.mode) await chmod(dest, f.mode)
  })
  return meta
}
