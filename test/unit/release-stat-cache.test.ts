// The local target's stat caches: stored exactly, and only ever read against the manifest they were written for.
import { describe, expect, test } from '@jest/globals'
import { decodeStatCache, encodeStatCache, type Manifest } from '@gantry/release'

const entries: Manifest['entries'] = {
  assets: { type: 'dir', mode: 0o755 },
  'assets/app.js': { type: 'file', sha256: 'a'.repeat(64), size: 14, mode: 0o644 },
  'assets/link': { type: 'symlink', target: 'app.js' },
  '2024': { type: 'file', sha256: 'b'.repeat(64), size: 3, mode: 0o600 },
  'name\nwith newline': { type: 'file', sha256: 'c'.repeat(64), size: 0, mode: 0o644 }
}
// Fractional timestamps whose every bit counts, inode numbers near 2^53.
const stat: NonNullable<Manifest['stat']> = {
  'assets/app.js': [2 ** 53 - 1, 14, 1763900000000.1235],
  '2024': [12, 3, 0.1 + 0.2]
}
const source: NonNullable<Manifest['source']> = {
  root: '/work/app/dist',
  builtAt: 1763900000123,
  stat: {
    'assets/app.js': [7, 14, 1763899999999.9998, 1763900000000.0002],
    '2024': [8, 3, 1, 2],
    'name\nwith newline': [9, 0, 1763900000000.5, 1763900000000.75]
  }
}

describe('stat cache', () => {
  test('round-trips every number exactly, leaving out files with no stat', () => {
    const back = decodeStatCache(encodeStatCache(entries, { stat, source }), entries)
    expect(back).toEqual({ stat, source })
    expect(Object.keys(back?.stat ?? {}).sort()).toEqual(['2024', 'assets/app.js'])
  })

  test('is no cache for a manifest with other files (renamed, added, removed)', () => {
    const text = encodeStatCache(entries, { stat, source })
    const renamed = { ...entries }
    delete renamed['2024']
    renamed['2025'] = entries['2024']
    expect(decodeStatCache(text, renamed)).toBeUndefined()
    const added = { ...entries, 'new.txt': entries['2024'] }
    expect(decodeStatCache(text, added)).toBeUndefined()
  })

  test('is no cache when the numbers were cut short', () => {
    const c = JSON.parse(encodeStatCache(entries, { stat, source }))
    c.stat = c.stat.slice(0, -12)
    expect(decodeStatCache(JSON.stringify(c), entries)).toBeUndefined()
  })

  test('a release without a source cache keeps its release stats', () => {
    const back = decodeStatCache(encodeStatCache(entries, { stat }), entries)
    expect(back).toEqual({ stat, source: undefined })
  })

  test('reads the first format (JSON records by path) as before', () => {
    expect(decodeStatCache(JSON.stringify({ stat, source }), entries)).toEqual({ stat, source })
  })
})
