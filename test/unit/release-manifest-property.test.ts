import { afterAll, describe, expect, test } from '@jest/globals'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildManifest } from '../../packages/release/src/manifest.js'
import { referenceManifest } from '../../packages/release/src/manifest-reference.js'

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

const NAMES = ['a', 'b', 'lib', 'é', 'ü x', '\u{1F600}', 'a b', 'uploads', 'data']
// Sizes around the 1 MiB read buffer and 64 KiB too, and 0.
const SIZES = [0, 1, 100, 4096, 65535, 65536, 65537, 200_000, (1 << 20) + 3]

const root = mkdtempSync(join(tmpdir(), 'manifest-property-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** A random tree under dir; returns the shared paths to leave out. */
function randomTree(dir: string, seed: number): string[] {
  const r = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]
  const dirs = ['']
  const made = new Set<string>()
  const n = 1 + Math.floor(r() * 14)
  for (let i = 0; i < n; i++) {
    const parent = pick(dirs)
    const rel = parent === '' ? pick(NAMES) : `${parent}/${pick(NAMES)}`
    if (made.has(rel)) continue
    made.add(rel)
    const kind = r()
    const abs = join(dir, rel)
    if (kind < 0.3) {
      mkdirSync(abs) // may stay empty
      dirs.push(rel)
    } else if (kind < 0.85) {
      const size = r() < 0.15 ? pick(SIZES) : Math.floor(r() * 300)
      writeFileSync(abs, Buffer.alloc(size, seed % 251))
      if (r() < 0.2) chmodSync(abs, 0o755)
    } else {
      // A link to a sibling that exists (the tree is only valid with links that stay inside).
      const sibling = [...made].find((m) => m !== rel && !m.includes('/') && parent === '')
      if (sibling) symlinkSync(sibling, abs)
      else writeFileSync(abs, '')
    }
  }
  return r() < 0.4 ? [...made].filter((m) => dirs.includes(m)).slice(0, 1) : []
}

const outcome = (f: () => object) => {
  try {
    const m = f() as Record<string, unknown>
    return { entries: m.entries, files: m.files, bytes: m.bytes, shared: m.shared }
  } catch (e) {
    return { error: (e as Error).message }
  }
}

describe('buildManifest agrees with its plain reference on random trees', () => {
  test('entries, hashes, types, modes and link targets (120 seeded trees)', () => {
    for (let seed = 1; seed <= 120; seed++) {
      const dir = join(root, String(seed))
      mkdirSync(dir)
      const shared = randomTree(dir, seed)
      const want = outcome(() => referenceManifest(dir, shared))
      const got = outcome(() => buildManifest(dir, shared))
      // With a previous manifest of the same source (its stat cache): the same answer.
      const again = outcome(() => buildManifest(dir, shared, buildManifest(dir, shared)))
      try {
        expect(got).toEqual(want)
        expect(again).toEqual(want)
      } catch (e) {
        throw new Error(`seed ${seed} (tree in ${dir}): ${(e as Error).message}`)
      }
    }
  })

  test('an empty directory', () => {
    const dir = join(root, 'empty')
    mkdirSync(dir)
    expect(outcome(() => buildManifest(dir))).toEqual(outcome(() => referenceManifest(dir)))
  })
})
