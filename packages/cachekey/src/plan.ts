/**
 * main's first half: list the input files, find the components, compute every
 * key. Pure reads (git and the file system): nothing is written, so a bad
 * glob found here still fails before any side effect.
 */
import { performance } from 'node:perf_hooks'
import { findComponents } from './components.js'
import { listInputFiles, type FileListing } from './files.js'
import { compileGlobs } from './globs.js'
import { computeKeys, type KeyPlan } from './keys.js'
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

/** The Node the build will use: the one on PATH (setup-node's), else the one running us. */
export async function nodeVersion(root: string): Promise<string> {
  try {
    const r = await runProc('node', ['--version'], root, 10_000)
    const v = r.stdout.toString('utf8').trim()
    if (r.code === 0 && /^v\d+\.\d+\.\d+/.test(v)) return v
  } catch {
    // no node on PATH
  }
  return process.version
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
  const [listing, node] = await Promise.all([listInputFiles(o.root), nodeVersion(o.root)])
  const t1 = performance.now()
  const components = o.components?.length ? await findComponents(o.root, listing.files, o.components) : []
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
