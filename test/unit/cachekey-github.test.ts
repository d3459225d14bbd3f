// The github backend at the @actions/cache boundary: what it passes to
// restoreCache/saveCache (checked against that library's documented contract:
// paths array, key ≤ 512 characters without commas) and how it reads the
// answers — an "already exists" or reserve conflict is a warning, not a failure.
import { afterAll, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

class ReserveCacheError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ReserveCacheError'
  }
}
const restoreCache = jest.fn<(paths: string[], key: string, restoreKeys?: string[]) => Promise<string | undefined>>()
const saveCache = jest.fn<(paths: string[], key: string) => Promise<number>>()
const isFeatureAvailable = jest.fn<() => boolean>()
jest.unstable_mockModule('@actions/cache', () => ({ restoreCache, saveCache, isFeatureAvailable, ReserveCacheError }))

const { GithubBackend, saveUnits, restoreUnits, INDEX_FILE, ENTRY_FILE } = await import('@gantry/cachekey')

const root = mkdtempSync(join(tmpdir(), 'gantry-ghcache-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const base = 'gantry-Linux-X64-packages.app-'
const key = `${base}${'c'.repeat(64)}`

function validKey(k: string): boolean {
  return k.length <= 512 && !k.includes(',')
}

function workTree(): string {
  const ws = mkdtempSync(join(root, 'ws-'))
  mkdirSync(join(ws, 'packages/app/dist'), { recursive: true })
  writeFileSync(join(ws, 'packages/app/dist/app.js'), 'built\n')
  return ws
}
const unit = { dir: 'packages/app', key, base, hit: false, outputs: ['packages/app/dist'], index: 'x\tindex\0' }

beforeEach(() => {
  restoreCache.mockReset()
  saveCache.mockReset()
  isFeatureAvailable.mockReset().mockReturnValue(true)
})

describe('GithubBackend', () => {
  test('fetch restores exactly the key into a fixed per-unit directory', async () => {
    const b = new GithubBackend(join(root, 'rt1'))
    restoreCache.mockResolvedValueOnce(key)
    const dir = await b.fetch(key, 'packages/app')
    expect(dir).toBe(join(root, 'rt1', 'entry', 'packages.app'))
    expect(restoreCache).toHaveBeenCalledWith([dir as string], key)
    expect(validKey(restoreCache.mock.calls[0][1])).toBe(true)

    restoreCache.mockResolvedValueOnce(undefined)
    expect(await b.fetch(key, 'packages/app')).toBeUndefined()
    // The service matches the primary key as a prefix too: anything but the exact key is a miss.
    restoreCache.mockResolvedValueOnce(`${key}-longer`)
    expect(await b.fetch(key, 'packages/app')).toBeUndefined()
  })

  test('previous restores the newest small index entry of the unit by prefix', async () => {
    const b = new GithubBackend(join(root, 'rt2'))
    restoreCache.mockImplementationOnce(async (paths) => {
      writeFileSync(
        join(paths[0], INDEX_FILE),
        JSON.stringify({ key: `${base}${'a'.repeat(64)}`, index: 'old\tindex\0' })
      )
      return `${base}index-${'a'.repeat(64)}`
    })
    const prev = await b.previous(base, 'packages/app')
    expect(prev).toEqual({ key: `${base}${'a'.repeat(64)}`, index: 'old\tindex\0' })
    const [paths, primary, restoreKeys] = restoreCache.mock.calls[0]
    expect(paths).toEqual([join(root, 'rt2', 'index', 'packages.app')])
    expect(primary).toBe(`${base}index-`)
    expect(restoreKeys).toEqual([`${base}index-`])

    restoreCache.mockResolvedValueOnce(undefined)
    expect(await b.previous(base, 'packages/app')).toBeUndefined()
  })

  test('a saved entry holds the outputs with their manifest; its index goes in a second, small entry', async () => {
    const b = new GithubBackend(join(root, 'rt3'))
    const seen: Array<{ key: string; files: string }> = []
    saveCache.mockImplementation(async (paths, k) => {
      const f = join(paths[0], k.includes('-index-') ? INDEX_FILE : ENTRY_FILE)
      seen.push({ key: k, files: readFileSync(f, 'utf8') })
      return 42
    })
    const warn = jest.fn<(m: string) => void>()
    const [out] = await saveUnits([unit], b, workTree(), warn)
    expect(out).toMatchObject({ status: 'saved', files: 1 })
    expect(warn).not.toHaveBeenCalled()
    expect(saveCache).toHaveBeenCalledTimes(2)
    expect(saveCache.mock.calls[0][1]).toBe(key)
    expect(saveCache.mock.calls[1][1]).toBe(`${base}index-${'c'.repeat(64)}`)
    expect(saveCache.mock.calls.every(([p, k]) => Array.isArray(p) && p.length === 1 && validKey(k))).toBe(true)
    expect(JSON.parse(seen[0].files).files).toEqual([
      expect.objectContaining({
        path: 'packages/app/dist/app.js',
        size: 6,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/)
      })
    ])
    expect(JSON.parse(seen[1].files)).toEqual({ key, index: 'x\tindex\0' })
  })

  test.each([
    ['saveCache returns -1 (reserve conflict: another job holds the key)', () => saveCache.mockResolvedValue(-1)],
    [
      'saveCache throws ReserveCacheError',
      () =>
        saveCache.mockRejectedValue(
          new ReserveCacheError(`Unable to reserve cache with key ${key}, another job may be creating this cache.`)
        )
    ],
    [
      'the service says the entry already exists',
      () => saveCache.mockRejectedValue(new Error(`Cache already exists: ${key}`))
    ]
  ])('%s: a warning, not a failure', async (_label, arrange) => {
    arrange()
    const warn = jest.fn<(m: string) => void>()
    const [out] = await saveUnits([unit], new GithubBackend(join(root, 'rt4')), workTree(), warn)
    expect(out.status).toBe('exists')
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0][0]).toMatch(/already exists|another job/)
    expect(saveCache).toHaveBeenCalledTimes(1) // no index entry for an entry that was not saved
  })

  test('any other save error is reported as not saved, still without throwing', async () => {
    saveCache.mockRejectedValue(new Error('socket hang up'))
    const warn = jest.fn<(m: string) => void>()
    const [out] = await saveUnits([unit], new GithubBackend(join(root, 'rt5')), workTree(), warn)
    expect(out).toMatchObject({ status: 'failed', message: expect.stringContaining('socket hang up') })
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('socket hang up'))
  })

  test('without the cache service on the runner: one warning, every unit a miss, nothing looked up or saved', async () => {
    isFeatureAvailable.mockReturnValue(false)
    const b = new GithubBackend(join(root, 'rt6'))
    const warn = jest.fn<(m: string) => void>()
    const units = ['packages/a', 'packages/b'].map((dir) => ({
      dir,
      key: `${base}${dir}`,
      hash: 'h',
      files: 1,
      deps: [],
      index: ''
    }))
    const results = await restoreUnits(units, b, {
      root,
      prefix: 'gantry',
      os: 'Linux',
      arch: 'X64',
      verify: true,
      warn
    })
    expect(results.map((r) => r.status)).toEqual(['miss', 'miss'])
    expect(results[0].reason).toMatch(/cache service is not available/)
    expect(warn).toHaveBeenCalledTimes(1)
    const saved = await saveUnits([unit], b, workTree(), warn)
    expect(saved[0].status).toBe('failed')
    expect(warn).toHaveBeenCalledTimes(2)
    expect(restoreCache).not.toHaveBeenCalled()
    expect(saveCache).not.toHaveBeenCalled()
  })
})
