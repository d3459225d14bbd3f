import { describe, expect, test } from '@jest/globals'
import { blobId, comparePaths, fileText, listing, type InputFile } from '@gantry/cachekey'
import { referenceListing } from '../../packages/cachekey/src/files-reference.js'

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

const NAMES = ['a', 'lib', 'lib-extra', 'lib0', 'é', 'ü x', '\u{1F600}', 'a b', 'src', 'Z', 'x'.repeat(40)]

function randomFiles(seed: number): InputFile[] {
  const r = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]
  const paths = new Set<string>()
  const n = Math.floor(r() * 40)
  for (let i = 0; i < n; i++) paths.add(Array.from({ length: 1 + Math.floor(r() * 8) }, () => pick(NAMES)).join('/'))
  return [...paths]
    .map((path) => ({ path, mode: pick(['100644', '100755', '120000', '160000']), id: blobId(Buffer.from(path)) }))
    .sort((a, b) => comparePaths(a.path, b.path))
}

const counts = { hashed: 0, untracked: 0, modified: 0 }
const getters = (l: { files: InputFile[]; raw?: string; count: number }) => ({
  files: l.files,
  raw: l.raw,
  count: l.count
})

describe('the lazy listing agrees with its eager reference on random trees', () => {
  test('from bytes and from a parsed list, every getter, read in either order (300 seeded cases)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const files = randomFiles(seed)
      const bytes = Buffer.from(fileText(files), 'utf8')
      const want = referenceListing({ bytes })
      const countFirst = listing('git', 'sha1', counts, { bytes })
      const countFirstView = { count: countFirst.count, raw: countFirst.raw, files: countFirst.files }
      const filesFirst = listing('git', 'sha1', counts, { bytes })
      const filesFirstView = { files: filesFirst.files, raw: filesFirst.raw, count: filesFirst.count }
      const fromList = getters(listing('walk', 'sha1', counts, { files }))
      try {
        expect(getters(countFirstView)).toEqual(want)
        expect(getters(filesFirstView)).toEqual(want)
        expect(want.files).toEqual(files)
        expect(fromList).toEqual(referenceListing({ files }))
      } catch (e) {
        throw new Error(`seed ${seed}: ${(e as Error).message}`)
      }
    }
  })

  test('the empty listing', () => {
    const bytes = Buffer.alloc(0)
    expect(getters(listing('git', 'sha1', counts, { bytes }))).toEqual(referenceListing({ bytes }))
  })
})
