// Several hosts in one deploy (two local targets stand in for two ssh hosts):
// uploads run in parallel, and a failed upload is thrown only once every other
// upload has settled, so nothing is still writing when the lock is given back.
import { afterEach, beforeEach, expect, test } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalTarget, deploy, type DeployOptions } from '@gantry/release'
import { waitFor } from '../helpers/http.js'
import { deployOptions } from '../helpers/release-options.js'

let root: string
let src: string

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-hosts-'))
  src = join(root, 'src')
  mkdirSync(src)
  writeFileSync(join(src, 'index.html'), 'v1')
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

function opts(targets: LocalTarget[], over: Partial<DeployOptions> = {}): DeployOptions {
  return deployOptions({ targets, source: src, tmpDir: root }, over)
}

test('uploads to every host run at the same time', async () => {
  const started = new Set<string>()
  const hosts = ['a', 'b'].map((name) => {
    const t = new LocalTarget(join(root, name), () => undefined)
    const real = t.prepare.bind(t)
    // Each upload waits until the other one has started: run one after another, they never would.
    t.prepare = async (p) => {
      started.add(name)
      await waitFor(() => started.size === 2, 5_000, 'both uploads to start')
      return real(p)
    }
    return t
  })
  const r = await deploy(opts(hosts, { releaseId: 'r1' }))
  expect(r.id).toBe('r1')
  for (const h of ['a', 'b']) expect(readlinkSync(join(root, h, 'current'))).toBe('releases/r1')
})

test('a failed upload is thrown after the other uploads settle; nothing is switched', async () => {
  let aFailed = false
  let slowDone = false
  const a = new LocalTarget(join(root, 'a'), () => undefined)
  a.prepare = async () => {
    aFailed = true
    throw new Error('a: disk full')
  }
  const b = new LocalTarget(join(root, 'b'), () => undefined)
  const real = b.prepare.bind(b)
  b.prepare = async (p) => {
    // Still uploading after host a failed (waitFor polls on timers, so a's failure has long propagated).
    await waitFor(() => aFailed, 5_000, 'host a to fail')
    const out = await real(p)
    slowDone = true
    return out
  }
  const err = await deploy(opts([a, b], { releaseId: 'r1' })).catch((e: unknown) => e)
  expect(err).toEqual(new Error('a: disk full'))
  expect(slowDone).toBe(true)
  for (const h of ['a', 'b']) {
    expect(existsSync(join(root, h, 'current'))).toBe(false)
    expect(existsSync(join(root, h, '.gantry', 'lock'))).toBe(false)
  }
  // The failed host keeps no record of the release; the other records what it holds.
  const history = (h: string) => JSON.parse(readFileSync(join(root, h, '.gantry', 'history.json'), 'utf8'))
  expect(history('a').releases).toEqual([])
  expect(history('b').releases.map((r: { id: string }) => r.id)).toEqual(['r1'])
})
