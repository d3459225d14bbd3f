/**
 * Cache keys: prefix + OS + arch + a sha256 over the inputs. An input is a
 * file (mode, git object id, path), the lockfile, the Node version, and for a
 * component the global key-files and the own-content hashes of every workspace
 * package it depends on, directly or not — so a library edit changes the key
 * of each dependent. Alongside each key goes its index (input name → short id),
 * which is saved with the entry so a later miss can say what changed.
 */
import { createHash } from 'node:crypto'
import { InputError } from '@gantry/core'
import { ownerOf, transitiveDeps, type Component } from './components.js'
import type { InputFile } from './files.js'
import type { GlobSet } from './globs.js'

export const LOCKFILES = [
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lock',
  'bun.lockb'
] as const

/** Input name → short id (first 16 hex digits: enough to tell versions apart, small to store). */
export type InputIndex = Record<string, string>

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
  files: readonly InputFile[]
  /** Selects the input files; undefined = every listed file. */
  keyFiles?: GlobSet
  /** Output paths (never inputs: a build must not change its own key). */
  outputs: GlobSet
  components: readonly Component[]
}

const SHORT = 16

export function keySlug(dir: string): string {
  return dir.replace(/[^A-Za-z0-9._-]+/g, '.')
}

export function keyBase(o: Pick<KeyOptions, 'prefix' | 'os' | 'arch'>, dir: string): string {
  const head = `${o.prefix}-${o.os}-${o.arch}`
  return dir === '.' ? `${head}-` : `${head}-${keySlug(dir)}-`
}

function fileLine(f: InputFile): string {
  return `${f.mode} ${f.id}\t${f.path}\n`
}

export function computeKeys(o: KeyOptions): KeyPlan {
  const dirs = new Set(o.components.map((c) => c.dir))
  const global: InputFile[] = []
  const own = new Map<string, InputFile[]>(o.components.map((c) => [c.dir, []]))
  const lockfiles: InputFile[] = []
  let selected = 0
  let excludedOutputs = 0
  for (const f of o.files) {
    if ((LOCKFILES as readonly string[]).includes(f.path)) lockfiles.push(f)
    if (o.outputs.match(f.path)) {
      excludedOutputs++
      continue
    }
    if (o.keyFiles && !o.keyFiles.match(f.path)) continue
    selected++
    const owner = dirs.size ? ownerOf(f.path, dirs) : undefined
    if (owner) own.get(owner)?.push(f)
    else global.push(f)
  }
  if (o.keyFiles && selected === 0) {
    throw new InputError(
      `Input 'key-files' has invalid value '${o.keyFiles.patterns.join('\\n')}': it matches no file under working-directory`
    )
  }
  // The lockfile always counts, even when key-files leaves it out.
  for (const l of lockfiles) if (!global.some((g) => g.path === l.path)) global.push(l)

  const g = createHash('sha256')
  g.update(`gantry-build-cache 1\nnode ${o.nodeVersion}\n`)
  const globalIndex: InputIndex = { node: o.nodeVersion }
  for (const f of global) {
    g.update(fileLine(f))
    globalIndex[f.path] = `${f.mode === '100755' ? 'x' : ''}${f.id.slice(0, SHORT)}`
  }
  const globalHash = g.digest('hex')

  if (o.components.length === 0) {
    const base = keyBase(o, '.')
    return {
      key: base + globalHash,
      hash: globalHash,
      units: [
        { dir: '.', key: base + globalHash, hash: globalHash, files: global.length, deps: [], index: globalIndex }
      ],
      globalFiles: global.length,
      excludedOutputs
    }
  }

  // Own-content hash per component, then each key over own + global + transitive deps' own hashes.
  const ownHash = new Map<string, string>()
  for (const c of o.components) {
    const h = createHash('sha256')
    for (const f of own.get(c.dir) ?? []) h.update(fileLine(f))
    ownHash.set(c.dir, h.digest('hex'))
  }
  const byDir = new Map(o.components.map((c) => [c.dir, c]))
  const units: KeyedUnit[] = o.components.map((c) => {
    const deps = transitiveDeps(c.dir, byDir)
    const h = createHash('sha256')
    h.update(`component ${c.dir}\nglobal ${globalHash}\nown ${ownHash.get(c.dir)}\n`)
    for (const d of deps) h.update(`dep ${d} ${ownHash.get(d)}\n`)
    const hash = h.digest('hex')
    const index: InputIndex = {}
    for (const [k, v] of Object.entries(globalIndex)) index[k] = v
    for (const f of own.get(c.dir) ?? []) index[f.path] = `${f.mode === '100755' ? 'x' : ''}${f.id.slice(0, SHORT)}`
    for (const d of deps) index[`dependency ${d}`] = (ownHash.get(d) as string).slice(0, SHORT)
    const base = keyBase(o, c.dir)
    return {
      dir: c.dir,
      name: c.name,
      key: base + hash,
      hash,
      files: (own.get(c.dir)?.length ?? 0) + global.length,
      deps: c.deps,
      index
    }
  })
  const all = createHash('sha256').update(`global ${globalHash}\n`)
  for (const u of units) all.update(`${u.dir} ${u.hash}\n`)
  const hash = all.digest('hex')
  return { key: keyBase(o, '.') + hash, hash, units, globalFiles: global.length, excludedOutputs }
}

export interface IndexDiff {
  added: string[]
  removed: string[]
  changed: string[]
}

export function diffIndex(before: InputIndex, after: InputIndex): IndexDiff {
  const added: string[] = []
  const removed: string[] = []
  const changed: string[] = []
  for (const [k, v] of Object.entries(after)) {
    if (!(k in before)) added.push(k)
    else if (before[k] !== v) changed.push(k)
  }
  for (const k of Object.keys(before)) if (!(k in after)) removed.push(k)
  return { added: added.sort(), removed: removed.sort(), changed: changed.sort() }
}

/** One line for a summary cell: the first few changed inputs, then a count. */
export function describeDiff(d: IndexDiff, before: InputIndex, after: InputIndex, max = 5): string {
  const items = [
    ...d.changed.map((k) => (k === 'node' ? `node ${before[k]} → ${after[k]}` : `${k} (modified)`)),
    ...d.added.map((k) => `${k} (added)`),
    ...d.removed.map((k) => `${k} (removed)`)
  ]
  if (items.length === 0)
    return 'no input changed since the last saved entry (its key differs: cache format or inputs were renamed)'
  const shown = items.slice(0, max).join(', ')
  return items.length > max ? `${shown} and ${items.length - max} more` : shown
}
