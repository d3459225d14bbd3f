// deploy()'s rollout hook: the caller orders each host's switch (+ activate) and
// switch-back, deploy() keeps the history of every host (three local targets
// stand in for three ssh hosts).
import { afterEach, beforeEach, expect, test } from '@jest/globals'
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalTarget, deploy, type DeployOptions, type History, type RolloutHost } from '@gantry/release'
import { deployOptions } from '../helpers/release-options.js'

let root: string
let src: string
const names = ['a', 'b', 'c']

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-rollout-'))
  src = join(root, 'src')
  mkdirSync(src)
  writeFileSync(join(src, 'index.html'), 'v1')
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

const targets = () => names.map((n) => new LocalTarget(join(root, n), () => undefined))
const opts = (over: Partial<DeployOptions> = {}): DeployOptions =>
  deployOptions({ targets: targets(), source: src, tmpDir: root }, over)
const current = (h: string) => readlinkSync(join(root, h, 'current'))
const history = (h: string): History => JSON.parse(readFileSync(join(root, h, '.gantry', 'history.json'), 'utf8'))

test('the rollout switches each host in its own order; each host records its deploy', async () => {
  await deploy(opts({ releaseId: 'r1' }))
  const order: string[] = []
  const r = await deploy(
    opts({
      releaseId: 'r2',
      activate: ['sh', '-c', 'echo "$GANTRY_RELEASE_ID" > ../../activated'],
      rollout: async (hosts) => {
        expect(hosts.map((h) => [h.serverName, h.previous, h.switched])).toEqual(
          names.map((n) => [`local:${join(root, n)}`, 'r1', false])
        )
        for (const h of [...hosts].reverse()) {
          // Each host is switched and activated before the next one starts.
          await h.switch()
          order.push(
            readFileSync(join(root, h.name.slice('local:'.length).split('/').pop()!, 'activated'), 'utf8').trim()
          )
          expect(h.switched).toBe(true)
        }
      }
    })
  )
  expect(r.id).toBe('r2')
  expect(r.switchedBack).toBe(false)
  expect(order).toEqual(['r2', 'r2', 'r2'])
  for (const n of names) {
    expect(current(n)).toBe('releases/r2')
    const h = history(n)
    expect(h.events.filter((e) => e.kind === 'deploy').map((e) => [e.from, e.to])).toEqual([
      [undefined, 'r1'],
      ['r1', 'r2']
    ])
    expect(h.releases.find((x) => x.id === 'r2')).toMatchObject({ status: 'good', activatedAt: expect.any(String) })
  }
})

test('a rollout that fails: the hosts it switched go back, every host marks the release bad', async () => {
  await deploy(opts({ releaseId: 'r1' }))
  const err = await deploy(
    opts({
      releaseId: 'r2',
      rollout: async (hosts: RolloutHost[]) => {
        await hosts[0].switch()
        await hosts[1].switch()
        expect(current('b')).toBe('releases/r2')
        // b is put back by the rollout itself; a is left for deploy() to put back.
        expect(await hosts[1].back()).toBe(true)
        throw new Error('gate failed on b')
      }
    })
  ).then(
    () => new Error('resolved'),
    (e: unknown) => e as Error
  )
  expect(err.message).toBe('gate failed on b; every host switched back; release r2 marked bad')
  for (const n of names) {
    expect(current(n)).toBe('releases/r1')
    const h = history(n)
    expect(h.releases.find((x) => x.id === 'r2')).toMatchObject({ status: 'bad', bad: { reason: 'gate failed on b' } })
    expect(h.events.at(-1)).toMatchObject({ kind: 'switch-back', from: 'r2', to: 'r1', reason: 'gate failed on b' })
  }
  // Only the hosts switched recorded a deploy of r2.
  expect(names.map((n) => history(n).events.filter((e) => e.kind === 'deploy' && e.to === 'r2').length)).toEqual([
    1, 1, 0
  ])
})

test('an activate failure throws from switch() naming the host; a rollout that skips a host fails', async () => {
  await deploy(opts({ releaseId: 'r1' }))
  const err = await deploy(
    opts({
      releaseId: 'r2',
      activate: ['sh', '-c', 'exit 3'],
      rollout: async (hosts) => {
        await hosts[0].switch()
      }
    })
  ).then(
    () => new Error('resolved'),
    (e: unknown) => e as Error
  )
  expect(err.message).toBe(
    `local:${join(root, 'a')}: activate exited with code 3; every host switched back; release r2 marked bad`
  )
  for (const n of names) expect(current(n)).toBe('releases/r1')

  const skip = await deploy(opts({ releaseId: 'r3', rollout: async (hosts) => hosts[0].switch() })).then(
    () => new Error('resolved'),
    (e: unknown) => e as Error
  )
  expect(skip.message).toMatch(
    /^the rollout left .*b, .*c unswitched; every host switched back; release r3 marked bad$/
  )
  for (const n of names) expect(current(n)).toBe('releases/r1')
})

test('on a first deploy there is nothing to switch back to, and the message says so', async () => {
  const err = await deploy(
    opts({
      releaseId: 'r1',
      rollout: async (hosts) => {
        await hosts[0].switch()
        throw new Error('gate failed on a')
      }
    })
  ).then(
    () => new Error('resolved'),
    (e: unknown) => e as Error
  )
  expect(err.message).toMatch(
    /^gate failed on a; NOT switched back: local:.*a \(no previous release\); release r1 marked bad$/
  )
})
