// deploy-atomic's progress lines (issue 14): a wait for another deploy's lock says
// who holds it and when the wait gives up, as a progress line (on every change, and
// at least every 10 s: the progress module's unit test covers the period).
import { afterEach, beforeEach, expect, test } from '@jest/globals'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { writeFiles } from '../helpers/git-tree.js'

let root: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-progress-'))
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

test('waiting for a live lock prints a progress line naming the holder and the time left', async () => {
  const base = join(root, 'app')
  mkdirSync(join(base, '.gantry'), { recursive: true })
  const at = Date.now()
  // A holder on another runner that refreshed its lock just now: live for 2 min.
  writeFileSync(
    join(base, '.gantry', 'lock'),
    JSON.stringify({
      token: 'other',
      run: '1000',
      purpose: 'deploy',
      host: 'other-runner',
      pid: 1,
      acquiredAt: new Date(at).toISOString(),
      refreshedAt: new Date(at).toISOString(),
      expiresAt: new Date(at + 120_000).toISOString()
    })
  )
  const r = await runAction('deploy-atomic', {
    inputs: { source: writeFiles(join(root, 'src'), { 'index.html': 'a' }), path: base },
    env: { GANTRY_LOCK_WAIT: '1s' }
  })
  expect(r.code).toBe(1)
  expect(r.stdout).toMatch(
    /^local:\S+: waiting for the lock held by run 1000 .*\(gives up in [01] s; \d+\.\d s elapsed\)$/m
  )
})
