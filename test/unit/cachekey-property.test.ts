import { describe, expect, test } from '@jest/globals'
import {
  blobId,
  comparePaths,
  compileGlobs,
  computeKeys,
  fileText,
  type Component,
  type InputFile,
  type KeyOptions
} from '@gantry/cachekey'
import { referenceComputeKeys } from '../../packages/cachekey/src/keys-reference.js'

/** mulberry32: a small seeded PRNG, so every case can be rerun from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// Names that stress git's order and prefix tests: unicode, spaces, names one byte past '/', look-alikes.
const NAMES = [
  'a',
  'b',
  'lib',
  'lib-extra',
  'lib0',
  'lib.d',
  'app',
  'é',
  'ü x',
  '\u{1F600}',
  'a b',
  'src',
  'packages',
  'Z'
]
const ROOT_FILES = ['package.json', 'package-lock.json', 'yarn.lock', 'README.md']

function randomCase(seed: number): KeyOptions {
  const r = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]
  const dirs = new Set<string>()
  const nDirs = Math.floor(r() * 5)
  for (let i = 0; i < nDirs; i++) {
    const depth = 1 + Math.floor(r() * 3)
    dirs.add(Array.from({ length: depth }, () => pick(NAMES)).join('/'))
  }
  const paths = new Set<string>()
  const nFiles = Math.floor(r() * 30)
  for (let i = 0; i < nFiles; i++) {
    const kind = r()
    if (kind < 0.15) paths.add(pick(ROOT_FILES))
    else if (kind < 0.55 && dirs.size) paths.add(`${pick([...dirs])}/${pick(NAMES)}`)
    else if (kind < 0.65 && dirs.size)
      paths.add(pick([...dirs])) // a file named like a component
    else {
      const depth = 1 + Math.floor(r() * 7) // deep paths
      paths.add(Array.from({ length: depth }, () => pick(NAMES)).join('/'))
    }
  }
  // A file cannot also be a directory in a real tree.
  const all = [...paths].filter((p) => ![...paths].some((q) => q.startsWith(`${p}/`)))
  const files: InputFile[] = all
    .map((path) => ({ path, mode: r() < 0.1 ? '100755' : '100644', id: blobId(Buffer.from(`${seed}:${path}`)) }))
    .sort((a, b) => comparePaths(a.path, b.path))
  const compDirs = [...dirs]
  const components: Component[] = compDirs.map((dir) => ({
    dir,
    deps: compDirs.filter((d) => d !== dir && r() < 0.3).sort()
  }))
  const outputs =
    r() < 0.3
      ? compileGlobs([pick(all.length ? all : ['dist'])])
      : r() < 0.2
        ? compileGlobs(['**/*.md'])
        : compileGlobs([])
  const keyFiles = r() < 0.15 ? compileGlobs(['**/a', 'package.json']) : undefined
  const text = fileText(files)
  return {
    prefix: 'gantry',
    os: 'Linux',
    arch: 'X64',
    nodeVersion: 'v20.1.0',
    files: { files, count: files.length, raw: text, bytes: Buffer.from(text, 'utf8') },
    keyFiles,
    outputs,
    components: r() < 0.25 ? [] : components
  }
}

const view = (k: ReturnType<typeof computeKeys>) => ({
  key: k.key,
  hash: k.hash,
  globalFiles: k.globalFiles,
  excludedOutputs: k.excludedOutputs,
  units: k.units.map((u) => ({
    dir: u.dir,
    name: u.name,
    key: u.key,
    hash: u.hash,
    files: u.files,
    deps: u.deps,
    index: u.index
  }))
})
const outcome = (f: () => ReturnType<typeof computeKeys>) => {
  try {
    return view(f())
  } catch (e) {
    return { error: (e as Error).message }
  }
}

describe('computeKeys agrees with its plain reference on random trees', () => {
  test('every route (git bytes, text only, parsed list) on 400 seeded cases', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const o = randomCase(seed)
      const want = outcome(() => referenceComputeKeys(o))
      const { files, count } = o.files
      const routes = {
        bytes: o,
        text: { ...o, files: { files, count, raw: o.files.raw } },
        parsed: { ...o, files: { files, count, raw: undefined } }
      }
      for (const [route, opts] of Object.entries(routes)) {
        const got = outcome(() => computeKeys(opts))
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          throw new Error(
            `seed ${seed}, route ${route}: ${JSON.stringify(files.map((f) => f.path))} ${JSON.stringify(o.components)}`
          )
        }
        expect(got).toEqual(want)
      }
    }
  })

  test('the empty tree', () => {
    const o: KeyOptions = {
      ...randomCase(1),
      files: { files: [], count: 0, raw: '', bytes: Buffer.alloc(0) },
      components: [],
      keyFiles: undefined
    }
    expect(view(computeKeys(o))).toEqual(view(referenceComputeKeys(o)))
  })
})
