// The lock's lifetime (issue 14): the holder refreshes it every 30 s and a lock
// not refreshed for 2 min is stale, so a holder SIGKILLed on another runner
// blocks the next deploy for at most 2 min, inside its 5 min wait.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { waitFor } from '../helpers/http.js'
import { writeFiles } from '../helpers/git-tree.js'

jest.setTimeout(90_000)

let root: string
let base: string

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-lock-'))
  base = join(root, 'app')
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

const source = (name: string) => writeFiles(join(root, name), { 'index.html': name })
const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)
const lockFile = () => join(base, '.gantry', 'lock')

/** A lock as a holder on another runner wrote it at its last refresh, `ago` ms back, with a TTL of `ttl` ms. */
function plantLock(ago: number, ttl: number): void {
  mkdirSync(join(base, '.gantry'), { recursive: true })
  const at = Date.now() - ago
  writeFileSync(
    lockFile(),
    JSON.stringify({
      token: 'dead',
      run: '1000',
      purpose: 'deploy',
      host: 'other-runner',
      pid: 1,
      acquiredAt: new Date(at - 60_000).toISOString(),
      refreshedAt: new Date(at).toISOString(),
      expiresAt: new Date(at + ttl).toISOString()
    })
  )
}

describe('lock lifetime', () => {
  test('a lock not refreshed for 2 min is stale, whatever expiry its holder wrote', async () => {
    // An older holder (10 min TTL) was killed 2.5 min after its last refresh.
    plantLock(150_000, 600_000)
    const r = await runAction('deploy-atomic', {
      inputs: { source: source('a'), path: base, 'release-id': 'a' },
      env: { GANTRY_LOCK_WAIT: '2s' }
    })
    expect(errors(r)).toEqual([])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/broke a stale lock held by run 1000 .*: not refreshed since .* \(2 min\)/)
    expect(readlinkSync(join(base, 'current'))).toBe('releases/a')
  })

  test('a lock refreshed 90 s ago is live: the deploy waits for it', async () => {
    plantLock(90_000, 120_000)
    const r = await runAction('deploy-atomic', {
      inputs: { source: source('a'), path: base },
      env: { GANTRY_LOCK_WAIT: '1s' }
    })
    expect(r.code).toBe(1)
    expect(errors(r)).toEqual([expect.stringMatching(/another deploy holds the lock: run 1000/)])
  })

  test('the holder writes a 2 min expiry and refreshes it every 30 s', async () => {
    const gate = join(root, 'go')
    const run = runAction('deploy-atomic', {
      inputs: {
        source: source('a'),
        path: base,
        'release-id': 'a',
        activate: `sh -c 'while [ ! -e ${gate} ]; do sleep 0.05; done'`
      },
      timeoutMs: 80_000
    })
    await waitFor(() => existsSync(join(base, 'current')), 30_000, 'the switch')
    const first = JSON.parse(readFileSync(lockFile(), 'utf8'))
    expect(Date.parse(first.expiresAt) - Date.parse(first.refreshedAt)).toBe(120_000)
    await waitFor(
      () => JSON.parse(readFileSync(lockFile(), 'utf8')).refreshedAt !== first.refreshedAt,
      40_000,
      'a refresh'
    )
    const second = JSON.parse(readFileSync(lockFile(), 'utf8'))
    const every = Date.parse(second.refreshedAt) - Date.parse(first.refreshedAt)
    expect(every).toBeGreaterThanOrEqual(29_000)
    expect(every).toBeLessThanOrEqual(31_000)
    expect(Date.parse(second.expiresAt) - Date.parse(second.refreshedAt)).toBe(120_000)
    writeFileSync(gate, '')
    expect((await run).code).toBe(0)
  })
})
