/**
 * main's first half: list the input files, find the components, compute every
 * key. Pure reads (git and the file system): nothing is written, so a bad
 * glob found here still fails before any side effect.
 */
import { accessSync, constants, realpathSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { findComponents } from './components.js'
import { listInputFiles, type FileListing } from './files.js'
import { compileGlobs } from './globs.js'
import { computeKeys, wholeTreePrefix, type KeyPlan } from './keys.js'
import { runProc } from './proc.js'

export interface PlanOptions {
  root: string
  prefix: string
  os: string
  arch: string
  outputs: readonly string[]
  keyFiles?: readonly string[]
  components?: readonly string[]
}

export interface Plan extends KeyPlan {
  listing: Pick<FileListing, 'source' | 'format' | 'hashed' | 'untracked' | 'modified'> & { files: number }
  nodeVersion: string
  /** Output globs per unit dir, prefixed with the component dir (relative to root). */
  outputs: Record<string, string[]>
  timings: { listMs: number; keysMs: number }
}

/**
 * The Node the build will use: the `node` first on PATH (setup-node's). Its
 * version is read without starting it when the path says it (the tool cache
 * keeps node/<version>/<arch>/bin) or when it is the node running us;
 * otherwise `node --version`, and failing that our own version.
 */
export async function nodeVersion(root: string): Promise<string> {
  const found = whichNode()
  if (found) {
    const real = realpathOr(found)
    const fromPath = real.match(/[\\/]node[\\/](\d+\.\d+\.\d+)[\\/]/)
    if (fromPath) return `v${fromPath[1]}`
    const self = realpathOr(process.execPath)
    if (real === self) return process.version
  }
  try {
    const r = await runProc('node', ['--version'], root, 10_000)
    const v = r.stdout.toString('utf8').trim()
    if (r.code === 0 && /^v\d+\.\d+\.\d+/.test(v)) return v
  } catch {
    // no node on PATH
  }
  return process.version
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    return p
  }
}

/** The first executable `node` on PATH (sync checks: a handful of stat calls, no thread-pool round trips). */
function whichNode(): string | undefined {
  const names = process.platform === 'win32' ? ['node.exe'] : ['node']
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    for (const n of names) {
      const p = join(dir, n)
      try {
        accessSync(p, constants.X_OK)
        return p
      } catch {
        // not here
      }
    }
  }
  return undefined
}

export function unitOutputs(dir: string, globs: readonly string[]): string[] {
  if (dir === '.') return [...globs]
  return globs.map((g) => {
    const neg = g.startsWith('!')
    const p = (neg ? g.slice(1) : g).replace(/^\.\//, '')
    const full = p === '' || p === '.' ? dir : `${dir}/${p}`
    return neg ? `!${full}` : full
  })
}

export async function makePlan(o: PlanOptions): Promise<Plan> {
  const t0 = performance.now()
  const nodeRun = nodeVersion(o.root)
  // Keyed whole, the key can hash git's output while git writes it (it needs the Node version first).
  const whole = !o.components?.length && !o.keyFiles?.length
  const digestPrefix = whole ? nodeRun.then(wholeTreePrefix) : undefined
  const [listing, node] = await Promise.all([listInputFiles(o.root, { digestPrefix }), nodeRun])
  const t1 = performance.now()
  const components = o.components?.length ? await findComponents(o.root, listing, o.components) : []
  const units = components.length ? components.map((c) => c.dir) : ['.']
  const outputs: Record<string, string[]> = {}
  for (const u of units) outputs[u] = unitOutputs(u, o.outputs)
  const keys = computeKeys({
    prefix: o.prefix,
    os: o.os,
    arch: o.arch,
    nodeVersion: node,
    files: listing,
    keyFiles: o.keyFiles?.length ? compileGlobs(o.keyFiles) : undefined,
    outputs: compileGlobs(
      units.flatMap((u) => outputs[u]),
      '',
      true
    ),
    components
  })
  const t2 = performance.now()
  // Field by field: reading `files` would parse a clean checkout's listing for nothing.
  const { source, format, hashed, untracked, modified, count } = listing
  return {
    ...keys,
    listing: { source, format, hashed, untracked, modified, files: count },
    nodeVersion: node,
    outputs,
    timings: { listMs: round(t1 - t0), keysMs: round(t2 - t1) }
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
