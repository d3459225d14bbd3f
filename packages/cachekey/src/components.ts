/**
 * Components are directories selected by the `components` globs. Each owns the
 * files below it (a file belongs to its deepest component), and depends on the
 * other components whose package.json name appears in its package.json
 * dependencies (npm/yarn/pnpm workspaces all name packages that way).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { InputError, UserError } from '@gantry/core'
import picomatch from 'picomatch'
import { compileGlobs } from './globs.js'
import { lowerBound, pathAt, type FileListing } from './files.js'

export interface Component {
  /** Directory relative to the root, '/'-separated: usable in `npm -w <dir>` and a matrix. */
  dir: string
  /** package.json name, when there is one. */
  name?: string
  /** dirs of the components it depends on directly, sorted. */
  deps: string[]
}

const DEP_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const

/**
 * Every directory that holds at least one input file. From git's bytes when
 * there are some (a directory is decoded only when it differs from the
 * previous file's, which most files share), else from the parsed list.
 */
export function directories(listing: Pick<FileListing, 'files' | 'bytes'>): Set<string> {
  const dirs = new Set<string>()
  const add = (dir: string) => {
    for (let d = dir; d && !dirs.has(d); d = d.slice(0, Math.max(0, d.lastIndexOf('/')))) dirs.add(d)
  }
  const raw = listing.bytes
  if (raw === undefined) {
    for (const f of listing.files) {
      const i = f.path.lastIndexOf('/')
      if (i > 0) add(f.path.slice(0, i))
    }
    return dirs
  }
  let last: Buffer = Buffer.alloc(0)
  for (let start = 0; start < raw.length;) {
    let end = raw.indexOf(0, start)
    if (end < 0) end = raw.length
    const tab = raw.indexOf(9, start)
    const slash = raw.lastIndexOf(0x2f, end)
    if (slash > tab) {
      if (raw.compare(last, 0, last.length, tab + 1, slash) !== 0) {
        last = raw.subarray(tab + 1, slash)
        add(last.toString('utf8'))
      }
    }
    start = end + 1
  }
  return dirs
}

export async function findComponents(
  root: string,
  listing: Pick<FileListing, 'files' | 'bytes'>,
  globs: readonly string[]
): Promise<Component[]> {
  let all: string[] | undefined
  const found = new Set<string>()
  for (const g of globs) {
    if (g.startsWith('!')) continue
    const set = compileGlobs([g, ...globs.filter((x) => x.startsWith('!'))])
    const candidates = childDirs(listing.bytes, g) ?? (all ??= [...directories(listing)])
    const hits = candidates.filter((d) => set.match(d))
    if (hits.length === 0) {
      throw new InputError(`Input 'components' has invalid value '${g}': it matches no directory with files in it`)
    }
    hits.forEach((d) => found.add(d))
  }
  const list = [...found].sort()
  const manifests = await Promise.all(list.map((dir) => readPackageJson(join(root, dir, 'package.json'))))
  const byName = new Map<string, string>()
  list.forEach((dir, i) => {
    const name = manifests[i]?.name
    if (typeof name === 'string') byName.set(name, dir)
  })
  return list.map((dir, i) => {
    const pkg = manifests[i]
    const deps = new Set<string>()
    for (const field of DEP_FIELDS) {
      const section = pkg?.[field]
      if (!section || typeof section !== 'object') continue
      for (const depName of Object.keys(section as Record<string, unknown>)) {
        const depDir = byName.get(depName)
        if (depDir && depDir !== dir) deps.add(depDir)
      }
    }
    return { dir, name: typeof pkg?.name === 'string' ? pkg.name : undefined, deps: [...deps].sort() }
  })
}

/**
 * For the usual `<dir>/<one segment>` glob (`packages/*`) on git's bytes: the
 * child directories of <dir>, one binary search per child instead of a walk
 * over every path. Undefined for any other glob (or no bytes): list them all.
 */
function childDirs(raw: Buffer | undefined, glob: string): string[] | undefined {
  if (raw === undefined) return undefined
  const { base, glob: rest } = picomatch.scan(glob.replace(/^\.\//, ''))
  if (!base || rest.includes('/') || rest.includes('**')) return undefined
  const prefix = `${base}/`
  const out: string[] = []
  for (let rec = lowerBound(raw, prefix); ;) {
    const p = pathAt(raw, rec)
    if (p === undefined || !p.startsWith(prefix)) break
    const slash = p.indexOf('/', prefix.length)
    if (slash < 0) {
      rec = raw.indexOf(0, rec) + 1 || raw.length // a file directly in base
      continue
    }
    const child = p.slice(0, slash)
    out.push(child)
    rec = lowerBound(raw, `${child}0`) // '0' follows '/': past every path below child
  }
  return out
}

async function readPackageJson(file: string): Promise<Record<string, unknown> | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return undefined
  }
  try {
    const v: unknown = JSON.parse(text)
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined
  } catch {
    throw new UserError(`${file} is not valid JSON: cannot read its workspace dependencies`)
  }
}

/**
 * The component a path belongs to (its deepest component directory), or
 * undefined. Callers pass sorted paths, so the last answer is tried first.
 */
export function ownerFinder(dirs: ReadonlySet<string>): (path: string) => string | undefined {
  // Only a component with another component inside it can't take the shortcut.
  const nested = new Set([...dirs].filter((d) => [...dirs].some((o) => o !== d && o.startsWith(`${d}/`))))
  let last: string | undefined
  return (path) => {
    if (last !== undefined && path.startsWith(last) && path.charCodeAt(last.length) === 47 && !nested.has(last)) {
      return last
    }
    const owner = ownerOf(path, dirs)
    if (owner !== undefined) last = owner
    return owner
  }
}

/** The component a path belongs to (its deepest component directory), or undefined. */
export function ownerOf(path: string, dirs: ReadonlySet<string>): string | undefined {
  let i = path.lastIndexOf('/')
  while (i > 0) {
    const d = path.slice(0, i)
    if (dirs.has(d)) return d
    i = d.lastIndexOf('/')
  }
  return undefined
}

/** Every component reachable from dir through deps (cycles allowed), sorted, without dir itself. */
export function transitiveDeps(dir: string, byDir: ReadonlyMap<string, Component>): string[] {
  const seen = new Set<string>([dir])
  const stack = [...(byDir.get(dir)?.deps ?? [])]
  while (stack.length) {
    const d = stack.pop() as string
    if (seen.has(d)) continue
    seen.add(d)
    stack.push(...(byDir.get(d)?.deps ?? []))
  }
  seen.delete(dir)
  return [...seen].sort()
}
