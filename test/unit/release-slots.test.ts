// Slots (DESIGN: Slots): deploy() and rollback() with `slot` on the local
// target, through the source: slots/<name> linked as current is, current
// untouched, `idle` from traffic.json, GANTRY_SLOT for activate, history
// events with the slot, pruning that keeps what slots link to.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InputError } from '@gantry/core'
import {
  LocalTarget,
  TRAFFIC,
  deploy,
  emptyTraffic,
  parseHistory,
  releaseFields,
  resolveSlot,
  rollback,
  slotRollbackTarget,
  withChange,
  type DeployOptions,
  type History,
  type Target,
  type Weights
} from '@gantry/release'
import { deployOptions } from '../helpers/release-options.js'

let root: string
let base: string

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-slots-'))
  base = join(root, 'app')
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

function source(id: string): string {
  const dir = join(root, 'src', id)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'index.html'), `release ${id}`)
  writeFileSync(join(dir, 'same.txt'), 'the same in every release')
  return dir
}

function opts(id: string, over: Partial<DeployOptions> = {}, targets: Target[] = [new LocalTarget(base)]) {
  return deployOptions({ targets, source: source(id), tmpDir: root }, { releaseId: id, ...over })
}

const history = (at = base): History => parseHistory(readFileSync(join(at, '.gantry', 'history.json'), 'utf8'))
const slotLink = (name: string, at = base) => readlinkSync(join(at, 'slots', name))
const currentLink = (at = base) => readlinkSync(join(at, 'current'))
const rollbackOpts = (over: Partial<Parameters<typeof rollback>[0]> = {}) => ({
  targets: [new LocalTarget(base)],
  reason: 'test',
  context: { actor: 'octocat', run: '9' },
  lock: { ttlMs: 60_000, waitMs: 2_000 },
  log: () => undefined,
  ...over
})

function writeTraffic(weights: Weights, at = base): void {
  mkdirSync(join(at, '.gantry'), { recursive: true })
  const h = withChange(emptyTraffic(), {
    at: '2026-12-01T00:00:00.000Z',
    router: 'nginx',
    upstream: 'app',
    weights,
    previous: {}
  })
  writeFileSync(join(at, '.gantry', TRAFFIC), JSON.stringify(h))
}

describe('deploy with a slot', () => {
  test('links slots/<name> -> ../releases/<id>; current stays where it was; the event records the slot', async () => {
    await deploy(opts('r0'))
    const r = await deploy(opts('r1', { slot: 'green' }))
    expect(r).toMatchObject({ id: 'r1', slot: 'green', previous: undefined })
    expect(slotLink('green')).toBe('../releases/r1')
    expect(readFileSync(join(base, 'slots', 'green', 'index.html'), 'utf8')).toBe('release r1')
    expect(currentLink()).toBe('releases/r0')
    const r2 = await deploy(opts('r2', { slot: 'green' }))
    expect(r2).toMatchObject({ slot: 'green', previous: 'r1' })
    expect(r2.targets[0]).toMatchObject({ previous: 'r1' })
    expect(slotLink('green')).toBe('../releases/r2')
    expect(currentLink()).toBe('releases/r0')
    const h = history()
    expect(h.events.filter((e) => e.kind === 'deploy').map((e) => [e.from ?? null, e.to, e.slot ?? null])).toEqual([
      [null, 'r0', null],
      [null, 'r1', 'green'],
      ['r1', 'r2', 'green']
    ])
    // A release only ever in a slot is no rollback target of current.
    expect(h.releases.find((x) => x.id === 'r1')?.activatedAt).toBeUndefined()
    expect(h.releases.find((x) => x.id === 'r0')?.activatedAt).toBeDefined()
    // Hard-linked from what the slot held.
    expect(r2.targets[0]?.prepared).toMatchObject({ linked: 1, copied: 1 })
  })

  test('a deploy without a slot leaves every slot link as it was', async () => {
    await deploy(opts('r1', { slot: 'blue' }))
    await deploy(opts('r2'))
    expect(slotLink('blue')).toBe('../releases/r1')
    expect(currentLink()).toBe('releases/r2')
  })

  test('activate sees GANTRY_SLOT, and GANTRY_PREVIOUS_RELEASE_ID is what the slot held', async () => {
    const seen = join(root, 'seen')
    const activate = ['sh', '-c', `echo "$GANTRY_SLOT $GANTRY_RELEASE_ID $GANTRY_PREVIOUS_RELEASE_ID" >> ${seen}`]
    await deploy(opts('r0', { activate }))
    await deploy(opts('r1', { slot: 'green', activate }))
    await deploy(opts('r2', { slot: 'green', activate }))
    expect(readFileSync(seen, 'utf8')).toBe(' r0 \ngreen r1 \ngreen r2 r1\n')
  })

  test('a failed activate switches the slot back, marks the release bad, records activate-failed with the slot', async () => {
    await deploy(opts('r0'))
    await deploy(opts('r1', { slot: 'green' }))
    await expect(deploy(opts('r2', { slot: 'green', activate: ['sh', '-c', 'exit 7'] }))).rejects.toThrow(
      /activate exited with code 7; slot green switched back to r1, release r2 marked bad/
    )
    expect(slotLink('green')).toBe('../releases/r1')
    expect(currentLink()).toBe('releases/r0')
    const h = history()
    expect(h.releases.find((x) => x.id === 'r2')?.status).toBe('bad')
    expect(h.events.at(-1)).toMatchObject({ kind: 'activate-failed', from: 'r2', to: 'r1', slot: 'green' })
  })

  test('several hosts: when one slot switch fails, the hosts already switched are switched back', async () => {
    const other = join(root, 'other')
    const targets = () => [new LocalTarget(base), new LocalTarget(other)]
    await deploy(opts('r1', { slot: 'green' }, targets()))
    // Someone replaced other's slots/ with a file: the slot reads as empty there, and its switch fails.
    rmSync(join(other, 'slots'), { recursive: true })
    writeFileSync(join(other, 'slots'), 'not a directory')
    await expect(deploy(opts('r2', { slot: 'green' }, targets()))).rejects.toThrow(
      /^local:.*\/other: switch of slot green to r2 failed: .*; switched back: local:.*\/app -> r1$/
    )
    expect(slotLink('green')).toBe('../releases/r1')
  })

  test('pruning never removes a release a slot links to, nor the one its rollback would go to', async () => {
    for (const [id, slot] of [
      ['r1', 'blue'],
      ['r2', 'green'],
      ['r3', 'blue'],
      ['r4', 'green'],
      ['r5', 'blue']
    ] as const)
      await deploy(opts(id, { slot, keep: 1 }))
    const t = new LocalTarget(base)
    expect((await t.listReleases()).sort()).toEqual(['r2', 'r3', 'r4', 'r5'])
    expect(await t.slots()).toEqual({ blue: 'r5', green: 'r4' })
    // A deploy of current with keep 1 keeps them too.
    const r = await deploy(opts('r6', { keep: 1 }))
    expect(r.targets[0]?.pruned).toEqual([])
    expect((await t.listReleases()).sort()).toEqual(['r2', 'r3', 'r4', 'r5', 'r6'])
    // Once blue moves on, its old rollback target (r3) is no longer kept.
    await deploy(opts('r7', { slot: 'blue', keep: 1 }))
    expect((await t.listReleases()).sort()).toEqual(['r2', 'r4', 'r5', 'r6', 'r7'])
    expect(
      history()
        .events.filter((e) => e.kind === 'prune')
        .flatMap((e) => e.releases)
    ).toEqual(['r1', 'r3'])
  })
})

describe('slot: idle', () => {
  test('is the slot at 0% in traffic.json', async () => {
    writeTraffic({ blue: 100, green: 0 })
    const r = await deploy(opts('r1', { slot: 'idle' }))
    expect(r.slot).toBe('green')
    expect(slotLink('green')).toBe('../releases/r1')
    expect(existsSync(join(base, 'slots', 'blue'))).toBe(false)
    expect(history().events.at(-1)).toMatchObject({ kind: 'deploy', to: 'r1', slot: 'green' })
  })

  const expectOneLine = async (p: Promise<unknown>, message: RegExp) => {
    const e = await p.then(
      () => undefined,
      (x: unknown) => x
    )
    expect(e).toBeInstanceOf(InputError)
    expect((e as Error).message).toMatch(message)
    expect((e as Error).message).not.toContain('\n')
  }

  test('no traffic recorded, none or several at 0%, a bad file: one line naming the input; nothing created', async () => {
    await expectOneLine(
      deploy(opts('r1', { slot: 'idle' })),
      /^Input 'slot' has invalid value 'idle': local:.*\/app: no traffic has been recorded yet, so no slot is idle; name the slot \(slot: blue\) for the first deploy, or run traffic first; nothing changed$/
    )
    expect(existsSync(join(base, 'releases'))).toBe(false)
    writeTraffic({ blue: 50, green: 50 })
    await expectOneLine(
      deploy(opts('r1', { slot: 'idle' })),
      /^Input 'slot' has invalid value 'idle': .*exactly one slot at 0% of the traffic, but the last traffic change has blue=50,green=50; name the slot instead; nothing changed$/
    )
    writeTraffic({ blue: 0, green: 0, red: 100 })
    await expectOneLine(deploy(opts('r1', { slot: 'idle' })), /blue=0,green=0,red=100/)
    writeTraffic({ '127.0.0.1:3001': 0, blue: 100 })
    await expectOneLine(deploy(opts('r1', { slot: 'idle' })), /'127\.0\.0\.1:3001', which is not a slot name/)
    writeFileSync(join(base, '.gantry', TRAFFIC), '{"version":1')
    await expectOneLine(deploy(opts('r1', { slot: 'idle' })), /\.gantry\/traffic\.json is not JSON/)
    expect(existsSync(join(base, 'releases'))).toBe(false)
  })

  test('several hosts: the first decides, the others that keep a traffic.json must agree', async () => {
    const other = join(root, 'other')
    const targets = () => [new LocalTarget(base), new LocalTarget(other)]
    writeTraffic({ blue: 100, green: 0 })
    expect(await resolveSlot(targets(), 'idle')).toBe('green')
    writeTraffic({ blue: 0, green: 100 }, other)
    await expect(resolveSlot(targets(), 'idle')).rejects.toThrow(
      /^Input 'slot' has invalid value 'idle': local:.*\/app says slot 'green' is idle but local:.*\/other says 'blue'; the hosts' \.gantry\/traffic\.json disagree; nothing changed$/
    )
    writeTraffic({ blue: 100, green: 0 }, other)
    const r = await deploy(opts('r1', { slot: 'idle' }, targets()))
    expect(r.slot).toBe('green')
    expect(slotLink('green', other)).toBe('../releases/r1')
    expect(await resolveSlot(targets(), 'blue')).toBe('blue')
    expect(await resolveSlot(targets(), undefined)).toBeUndefined()
  })
})

describe('rollback of a slot', () => {
  test('relinks the slot to its previous good release, marks the left one bad, records the slot; current and other slots untouched', async () => {
    await deploy(opts('r0'))
    await deploy(opts('r1', { slot: 'green' }))
    await deploy(opts('r2', { slot: 'blue' }))
    await deploy(opts('r3', { slot: 'green' }))
    const r = await rollback(rollbackOpts({ slot: 'green' }))
    expect(r).toMatchObject({ slot: 'green', from: 'r3', to: 'r1' })
    expect(slotLink('green')).toBe('../releases/r1')
    expect(slotLink('blue')).toBe('../releases/r2')
    expect(currentLink()).toBe('releases/r0')
    const h = history()
    expect(h.releases.find((x) => x.id === 'r3')?.status).toBe('bad')
    expect(h.releases.find((x) => x.id === 'r1')?.activatedAt).toBeUndefined()
    expect(h.events.at(-1)).toMatchObject({ kind: 'rollback', from: 'r3', to: 'r1', slot: 'green', reason: 'test' })
    // green held nothing before r1: nothing changed.
    await expect(rollback(rollbackOpts({ slot: 'green' }))).rejects.toThrow(
      /^nothing to roll back to on local:.*: slot green held no good release before r1 that is still on disk; nothing changed$/
    )
    await expect(rollback(rollbackOpts({ slot: 'red' }))).rejects.toThrow(
      /^nothing to roll back on local:.*: slot red links no release \(no .*\/slots\/red\); nothing changed$/
    )
    expect(slotLink('green')).toBe('../releases/r1')
  })

  test('a second rollback goes further back, never onto a bad release; `to` names one explicitly', async () => {
    for (const id of ['r1', 'r2', 'r3', 'r4']) await deploy(opts(id, { slot: 'green' }))
    expect((await rollback(rollbackOpts({ slot: 'green' }))).to).toBe('r3')
    expect((await rollback(rollbackOpts({ slot: 'green' }))).to).toBe('r2')
    const r = await rollback(rollbackOpts({ slot: 'green', to: 'r1' }))
    expect(r).toMatchObject({ from: 'r2', to: 'r1' })
    await expect(rollback(rollbackOpts({ slot: 'green', to: 'r4' }))).rejects.toThrow(/marked bad/)
    expect(existsSync(join(base, 'current'))).toBe(false)
  })

  test('a watch of the slot that saw another release meanwhile changes nothing', async () => {
    await deploy(opts('r1', { slot: 'green' }))
    await deploy(opts('r2', { slot: 'green' }))
    await expect(rollback(rollbackOpts({ slot: 'green', expectFrom: 'r1' }))).rejects.toThrow(
      /^slot green changed during the watch \(r1 -> r2\)/
    )
    expect(slotLink('green')).toBe('../releases/r2')
  })
})

describe('history and fields', () => {
  test('a history written before slots reads as before; its events are current’s', () => {
    const old = JSON.stringify({
      version: 1,
      releases: [
        { id: 'r1', createdAt: 'x', status: 'good', activatedAt: 'x' },
        { id: 'r2', createdAt: 'x', status: 'good', activatedAt: 'x' }
      ],
      events: [
        { at: 'x', kind: 'deploy', to: 'r1' },
        { at: 'x', kind: 'deploy', from: 'r1', to: 'r2' }
      ]
    })
    const h = parseHistory(old)
    expect(slotRollbackTarget(h, 'green', 'r2', new Set(['r1', 'r2']))).toBeUndefined()
    h.events.push(
      { at: 'y', kind: 'deploy', to: 'r1', slot: 'green' },
      { at: 'y', kind: 'deploy', to: 'r2', slot: 'green' }
    )
    expect(slotRollbackTarget(h, 'green', 'r2', new Set(['r1', 'r2']))).toBe('r1')
    expect(slotRollbackTarget(h, 'green', 'r2', new Set(['r2']))).toBeUndefined()
  })

  test('the slot field: names, idle only where allowed, one message naming the form', () => {
    const deployField = releaseFields.slot({ idle: true })
    const rollbackField = releaseFields.slot({ idle: false, why: 'no rollback of idle' })
    for (const ok of ['green', 'blue', 'a', 'canary-1', 'a'.repeat(32)]) expect(deployField.parse(ok)).toBe(ok)
    expect(deployField.parse('idle')).toBe('idle')
    for (const bad of ['Green', '1blue', '-x', 'a'.repeat(33), 'blue green', 'slots/x', '', 'ü']) {
      const r = deployField.safeParse(bad)
      expect(r.success).toBe(false)
      expect(r.error?.issues[0]?.message).toMatch(/^expected a slot name .* or idle$/)
    }
    const r = rollbackField.safeParse('idle')
    expect(r.error?.issues[0]?.message).toMatch(/^no rollback of idle; expected a slot name/)
  })
})
