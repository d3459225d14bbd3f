/**
 * Cache keys: prefix + OS + arch + a sha256 over the inputs. An input is a
 * file (mode, git object id, path), the lockfile, the Node version, and for a
 * component the global key-files and the own-content hashes of every workspace
 * package it depends on, directly or not — so a library edit changes the key
 * of each dependent. Alongside each key goes its index (input → short id),
 * which is saved with the entry so a later miss can say what changed.
 */
import { createHash } from 'node:crypto'
import { InputError } from '@gantry/core'
import { ownerFinder, transitiveDeps, type Component } from './components.js'
import { countRecords, fileText, hasPathAtOrBelow, lowerBound, type FileListing, type InputFile } from './files.js'
import type { GlobSet } from './globs.js'

export const LOCKFILES = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lock',
  'bun.lockb'
])

/**
 * The index: one NUL-terminated `<id>\t<input>` record per input — the very
 * text the key hashes (for files, git's `ls-files -s` format), so building it
 * costs nothing. A string rather than an object:
 * 40,000 inputs stay cheap to build, store and ship in the entry; parseIndex
 * turns it into a Map only to explain a miss.
 */
export type InputIndex = string

export interface KeyedUnit {
  /** '.' for the whole tree, else the component directory. */
  dir: string
  name?: string
  key: string
  hash: string
  /** Number of files the key covers (own + global). */
  files: number
  /** Direct workspace dependencies. */
  deps: string[]
  index: InputIndex
}

export interface KeyPlan {
  key: string
  hash: string
  units: KeyedUnit[]
  globalFiles: number
  excludedOutputs: number
}

export interface KeyOptions {
  prefix: string
  os: string
  arch: string
  nodeVersion: string
  files: Pick<FileListing, 'files' | 'raw' | 'count'> & Partial<Pick<FileListing, 'bytes' | 'digest'>>
  /** Selects the input files; undefined = every listed file. */
  keyFiles?: GlobSet
  /** Output paths (never inputs: a build must not change its own key). */
  outputs: GlobSet
  components: readonly Component[]
}

/** The index's name for the Node version (parenthesised: no file is called that). */
export const NODE_INPUT = '(node version)'

export function keySlug(dir: string): string {
  return dir.replace(/[^A-Za-z0-9._-]+/g, '.')
}

export function keyBase(o: Pick<KeyOptions, 'prefix' | 'os' | 'arch'>, dir: string): string {
  const head = `${o.prefix}-${o.os}-${o.arch}`
  return dir === '.' ? `${head}-` : `${head}-${keySlug(dir)}-`
}

/** The first line of every hashed global index: the key format's version. */
const KEY_FORMAT = 'gantry-build-cache 1\n'

/** The global index's first record: the Node version, as an input. */
function nodeRecord(nodeVersion: string): string {
  return `${nodeVersion}\t${NODE_INPUT}\0`
}

/**
 * What the whole-tree key hashes before the files' text: a listing may hash
 * its bytes after this while git writes them (ListOptions.digestPrefix).
 */
export function wholeTreePrefix(nodeVersion: string): string {
  return KEY_FORMAT + nodeRecord(nodeVersion)
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** Three routes (whole-tree bytes, componentsFromBytes, parsed list); referenceComputeKeys (keys-reference.ts) is the plain one all must equal. */
export function computeKeys(o: KeyOptions): KeyPlan {
  // Given as text only (tests, callers without git's bytes): the same bytes, encoded here.
  const bytes = o.files.bytes ?? (o.files.raw === undefined ? undefined : Buffer.from(o.files.raw, 'utf8'))
  // A clean checkout keyed whole, with no output path among the tracked files: git's output is the
  // input text. Its bytes are hashed as they came (the same bytes the decoded text would encode to);
  // the index text, needed only to explain a later miss, is decoded when first read.
  const noOutputListed = bytes !== undefined && !o.keyFiles && !mayMatchAny(o.outputs, bytes)
  if (bytes !== undefined && noOutputListed && o.components.length === 0) {
    const head = nodeRecord(o.nodeVersion)
    const prefix = wholeTreePrefix(o.nodeVersion)
    const { digest } = o.files
    const hash =
      digest?.prefix === prefix ? digest.sha256 : createHash('sha256').update(prefix).update(bytes).digest('hex')
    const key = keyBase(o, '.') + hash
    const files = o.files
    return {
      key,
      hash,
      units: [
        {
          dir: '.',
          key,
          hash,
          get files() {
            return files.count
          },
          deps: [],
          get index() {
            return head + (files.raw as string)
          }
        }
      ],
      get globalFiles() {
        return files.count
      },
      excludedOutputs: 0
    }
  }
  if (bytes !== undefined && noOutputListed) {
    const fast = componentsFromBytes(o, bytes)
    if (fast) return fast
  }
  const dirs = new Set(o.components.map((c) => c.dir))
  const global: InputFile[] = []
  const own = new Map<string, InputFile[]>(o.components.map((c) => [c.dir, []]))
  const lockfiles: InputFile[] = []
  const owner = ownerFinder(dirs)
  let selected = 0
  let excludedOutputs = 0
  for (const f of o.files.files) {
    if (LOCKFILES.has(f.path)) lockfiles.push(f)
    if (o.outputs.match(f.path)) {
      excludedOutputs++
      continue
    }
    if (o.keyFiles && !o.keyFiles.match(f.path)) continue
    selected++
    const dir = dirs.size ? owner(f.path) : undefined
    if (dir) (own.get(dir) as InputFile[]).push(f)
    else global.push(f)
  }
  if (o.keyFiles && selected === 0) {
    throw new InputError(
      `Input 'key-files' has invalid value '${o.keyFiles.patterns.join('\\n')}': it matches no file under working-directory`
    )
  }
  // The lockfile always counts, even when key-files or an output glob leaves it out.
  const inGlobal = new Set(global.map((g) => g.path))
  for (const l of lockfiles) if (!inGlobal.has(l.path)) global.push(l)

  const globalIndex = nodeRecord(o.nodeVersion) + fileText(global)
  const globalHash = sha256(KEY_FORMAT + globalIndex)

  if (o.components.length === 0) {
    const key = keyBase(o, '.') + globalHash
    return {
      key,
      hash: globalHash,
      units: [{ dir: '.', key, hash: globalHash, files: global.length, deps: [], index: globalIndex }],
      globalFiles: global.length,
      excludedOutputs
    }
  }

  const ownText = new Map<string, { text: string; count: number }>()
  for (const c of o.components) {
    const list = own.get(c.dir) ?? []
    ownText.set(c.dir, { text: fileText(list), count: list.length })
  }
  return keyComponents(o, nodeRecord(o.nodeVersion) + fileText(global), global.length, ownText, excludedOutputs)
}

/**
 * A clean checkout split by component without parsing a line: in git's
 * sorted bytes the files below a directory are one contiguous run, found by
 * binary search, and each run is decoded once. Undefined (use the parsed
 * path) when a component holds another. Reference: referenceComputeKeys.
 */
function componentsFromBytes(o: KeyOptions, raw: Buffer): KeyPlan | undefined {
  const dirs = o.components.map((c) => c.dir)
  if (dirs.some((d) => dirs.some((e) => e !== d && e.startsWith(`${d}/`)))) return undefined
  // '0' is the byte after '/': [dir/, dir0) holds exactly the paths below dir.
  const ranges = dirs.map((dir) => ({ dir, start: lowerBound(raw, `${dir}/`), end: lowerBound(raw, `${dir}0`) }))
  const sorted = ranges.filter((r) => r.end > r.start).sort((a, b) => a.start - b.start)
  const gaps: Buffer[] = []
  let at = 0
  for (const r of sorted) {
    gaps.push(raw.subarray(at, r.start))
    at = r.end
  }
  gaps.push(raw.subarray(at))
  const global = Buffer.concat(gaps).toString('utf8')
  const ownText = new Map<string, { text: string; count: number }>()
  for (const r of ranges) {
    const text = raw.toString('utf8', r.start, r.end)
    ownText.set(r.dir, { text, count: countRecords(text) })
  }
  return keyComponents(o, nodeRecord(o.nodeVersion) + global, countRecords(global), ownText, 0)
}

/** Each component's key over its own files, the global inputs and the own-file hashes of its transitive deps. */
function keyComponents(
  o: KeyOptions,
  globalIndex: string,
  globalCount: number,
  ownText: ReadonlyMap<string, { text: string; count: number }>,
  excludedOutputs: number
): KeyPlan {
  const globalHash = sha256(KEY_FORMAT + globalIndex)
  const ownHash = new Map<string, string>()
  for (const c of o.components) ownHash.set(c.dir, sha256(ownText.get(c.dir)?.text ?? ''))
  const byDir = new Map(o.components.map((c) => [c.dir, c]))
  const units: KeyedUnit[] = o.components.map((c) => {
    const deps = transitiveDeps(c.dir, byDir)
    let text = `component ${c.dir}\nglobal ${globalHash}\nown ${ownHash.get(c.dir)}\n`
    let depIndex = ''
    for (const d of deps) {
      text += `dep ${d} ${ownHash.get(d)}\n`
      depIndex += `${ownHash.get(d)}\tdependency ${d}\0`
    }
    const hash = sha256(text)
    const own = ownText.get(c.dir) ?? { text: '', count: 0 }
    return {
      dir: c.dir,
      name: c.name,
      key: keyBase(o, c.dir) + hash,
      hash,
      files: own.count + globalCount,
      deps: c.deps,
      index: globalIndex + own.text + depIndex
    }
  })
  const hash = sha256(`global ${globalHash}\n${units.map((u) => `${u.dir} ${u.hash}\n`).join('')}`)
  return { key: keyBase(o, '.') + hash, hash, units, globalFiles: globalCount, excludedOutputs }
}

/** Whether an output glob could select a path in git's bytes (literal globs are searched for; any other: yes). */
function mayMatchAny(outputs: GlobSet, bytes: Buffer): boolean {
  if (!outputs.literals) return true
  return outputs.literals.some((l) => hasPathAtOrBelow(bytes, l))
}

export function parseIndex(index: InputIndex): Map<string, string> {
  const m = new Map<string, string>()
  for (const line of index.split('\0')) {
    const tab = line.indexOf('\t')
    if (tab > 0) m.set(line.slice(tab + 1), line.slice(0, tab))
  }
  return m
}

export interface IndexDiff {
  added: string[]
  removed: string[]
  changed: string[]
}

export function diffIndex(before: InputIndex, after: InputIndex): IndexDiff {
  const b = parseIndex(before)
  const a = parseIndex(after)
  const added: string[] = []
  const removed: string[] = []
  const changed: string[] = []
  for (const [k, v] of a) {
    const old = b.get(k)
    if (old === undefined) added.push(k)
    else if (old !== v) changed.push(k)
  }
  for (const k of b.keys()) if (!a.has(k)) removed.push(k)
  return { added: added.sort(), removed: removed.sort(), changed: changed.sort() }
}

/** One line for a summary cell: the first few changed inputs, then a count. */
export function describeDiff(d: IndexDiff, before: InputIndex, after: InputIndex, max = 5): string {
  const node = (idx: InputIndex) => parseIndex(idx).get(NODE_INPUT)
  const items = [
    ...d.changed.map((k) => (k === NODE_INPUT ? `Node ${node(before)} → ${node(after)}` : `${k} (modified)`)),
    ...d.added.map((k) => `${k} (added)`),
    ...d.removed.map((k) => `${k} (removed)`)
  ]
  if (items.length === 0) {
    return 'no input changed since the last saved entry (its key differs: cache format or inputs were renamed)'
  }
  const shown = items.slice(0, max).join(', ')
  return items.length > max ? `${shown} and ${items.length - max} more` : shown
}
