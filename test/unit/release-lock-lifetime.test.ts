// The lock's lifetime, decided in issue 14: refreshed every 30 s, stale 2 min
// after its last refresh (judged by the reader), waited for up to 5 min.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalTarget, acquireLock, activateTimeout, lockSettings, staleReason, type LockInfo } from '@gantry/release'

let root: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-lock-life-'))
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

describe('lock settings', () => {
  test('defaults: wait 5 min, stale after 2 min without a refresh, refresh every 30 s', () => {
    expect(lockSettings({})).toEqual({ waitMs: 300_000, ttlMs: 120_000, refreshMs: 30_000 })
  })
  test('a shorter GANTRY_LOCK_TTL refreshes four times within it', () => {
    expect(lockSettings({ GANTRY_LOCK_TTL: '20s' })).toEqual({ waitMs: 300_000, ttlMs: 20_000, refreshMs: 5_000 })
  })
  test('an override past the longest timer Node.js holds is refused in one line naming it', () => {
    expect(lockSettings({ GANTRY_LOCK_WAIT: '24d' }).waitMs).toBe(24 * 86_400_000)
    for (const [name, read] of [
      ['GANTRY_LOCK_WAIT', (v: string) => lockSettings({ GANTRY_LOCK_WAIT: v })],
      ['GANTRY_LOCK_TTL', (v: string) => lockSettings({ GANTRY_LOCK_TTL: v })],
      ['GANTRY_ACTIVATE_TIMEOUT', (v: string) => activateTimeout({ GANTRY_ACTIVATE_TIMEOUT: v })]
    ] as const) {
      expect(() => read('25d')).toThrow(
        new RegExp(`^Environment variable ${name} has invalid value '25d': expected at most 2147483647ms`)
      )
    }
  })
})

describe('staleness', () => {
  const lock = (over: Partial<LockInfo>): LockInfo => ({
    token: 't',
    purpose: 'deploy',
    host: 'runner-1',
    pid: 1234,
    acquiredAt: '2026-01-01T00:00:00Z',
    refreshedAt: '2026-01-01T00:04:00Z',
    expiresAt: '2026-01-01T00:14:00Z',
    ...over
  })
  const at = (hms: string) => Date.parse(`2026-01-01T${hms}Z`)
  test('refreshed 1m59s ago: live', () => expect(staleReason(lock({}), at('00:05:59'), 'runner-2')).toBeUndefined())
  test('not refreshed for over 2 min: stale, whatever expiry it names', () =>
    expect(staleReason(lock({}), at('00:06:01'), 'runner-2')).toMatch(
      /not refreshed since 2026-01-01T00:04:00Z \(2 min\)/
    ))
  test('a lock without refreshedAt (an older holder): its expiry decides', () => {
    expect(staleReason(lock({ refreshedAt: undefined }), at('00:13:00'), 'runner-2')).toBeUndefined()
    expect(staleReason(lock({ refreshedAt: undefined }), at('00:14:01'), 'runner-2')).toMatch(/TTL passed/)
  })
})

test('the holder rewrites refreshedAt and expiresAt every refreshMs', async () => {
  const t = new LocalTarget(join(root, 'app'))
  await t.init()
  const held = await acquireLock([t], 'deploy', { ttlMs: 2000, refreshMs: 200, waitMs: 1000 })
  const first = (await t.readLock()) as LockInfo
  expect(first.refreshedAt).toBe(first.acquiredAt)
  expect(Date.parse(first.expiresAt) - Date.parse(first.refreshedAt!)).toBe(2000)
  await new Promise((r) => setTimeout(r, 700))
  const later = (await t.readLock()) as LockInfo
  expect(Date.parse(later.refreshedAt!) - Date.parse(first.refreshedAt!)).toBeGreaterThanOrEqual(400)
  expect(Date.parse(later.expiresAt) - Date.parse(later.refreshedAt!)).toBe(2000)
  await held.release()
})
