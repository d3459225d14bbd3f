// Slots over ssh (DESIGN: Slots), through the source against two sshd servers
// from Debian on 127.0.0.1 standing in for two hosts: slots/<name> linked on
// every host with current untouched, `slot: idle` from the first host's
// traffic.json, GANTRY_SLOT seen by activate on each host, pruning that keeps
// what slots link to, and a rollback of one slot.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  TRAFFIC,
  deploy,
  emptyTraffic,
  makeSshTargets,
  parseHistory,
  rollback,
  withChange,
  type DeployOptions,
  type Target
} from '@gantry/release'
import { deployOptions } from '../helpers/release-options.js'
import { keygen, startSshd, type Sshd } from '../helpers/sshd.js'

jest.setTimeout(180_000)

let a: Sshd
let b: Sshd
let keyDir: string
let root: string
let targets: Target[] = []

beforeAll(async () => {
  keyDir = mkdtempSync(join(tmpdir(), 'gantry-ssh-slots-key-'))
  const client = keygen(join(keyDir, 'client'))
  a = await startSshd({ client })
  b = await startSshd({ client })
}, 60_000)

afterAll(async () => {
  await a?.stop()
  await b?.stop()
  rmSync(keyDir, { recursive: true, force: true })
})

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-ssh-slots-'))
})

afterEach(async () => {
  for (const t of targets) await t.close()
  targets = []
  rmSync(root, { recursive: true, force: true })
})

const bases = () => [join(root, 'hostA', 'app'), join(root, 'hostB', 'app')]

/** Both hosts (made once per test: a deploy or rollback closes nothing; afterEach does). */
function two(): Target[] {
  if (targets.length) return targets
  const temp = join(root, 'runner-temp')
  mkdirSync(temp, { recursive: true })
  const made = [a, b].map(
    (h, i) =>
      makeSshTargets(
        {
          kind: 'ssh',
          path: bases()[i]!,
          hosts: [h.host],
          sshKey: a.clientKey,
          knownHosts: `${a.knownHosts}\n${b.knownHosts}\n`
        },
        { log: () => undefined, warn: () => undefined, tempRoot: temp }
      )[0]!
  )
  targets.push(...made)
  return made
}

function opts(id: string, over: Partial<DeployOptions> = {}): DeployOptions {
  const dir = join(root, 'src', id)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'index.html'), `release ${id}`)
  return deployOptions({ targets: two(), source: dir, tmpDir: root }, { releaseId: id, ...over })
}

const slotLink = (base: string, name: string) => readlinkSync(join(base, 'slots', name))
const history = (base: string) => parseHistory(readFileSync(join(base, '.gantry', 'history.json'), 'utf8'))

function writeTraffic(base: string, weights: Record<string, number>): void {
  mkdirSync(join(base, '.gantry'), { recursive: true })
  const h = withChange(emptyTraffic(), {
    at: '2026-12-01T00:00:00.000Z',
    router: 'haproxy',
    upstream: 'app',
    weights,
    previous: {}
  })
  writeFileSync(join(base, '.gantry', TRAFFIC), JSON.stringify(h))
}

describe('slots on two ssh hosts', () => {
  test('slot: idle from the first host; every host links the slot, current untouched; activate sees GANTRY_SLOT', async () => {
    const [baseA, baseB] = bases() as [string, string]
    await deploy(opts('r0'))
    writeTraffic(baseA, { blue: 100, green: 0 })
    const seen = join(root, 'seen')
    const r = await deploy(
      opts('r1', {
        slot: 'idle',
        activate: ['sh', '-c', `echo "$GANTRY_SLOT $GANTRY_RELEASE_ID $(basename "$PWD")" >> ${seen}`]
      })
    )
    expect(r.slot).toBe('green')
    for (const base of [baseA, baseB]) {
      expect(slotLink(base, 'green')).toBe('../releases/r1')
      expect(readFileSync(join(base, 'slots', 'green', 'index.html'), 'utf8')).toBe('release r1')
      expect(readlinkSync(join(base, 'current'))).toBe('releases/r0')
      expect(history(base).events.at(-1)).toMatchObject({ kind: 'deploy', to: 'r1', slot: 'green' })
    }
    expect(readFileSync(seen, 'utf8')).toBe('green r1 r1\ngreen r1 r1\n')
    // The hosts disagree: one line, nothing changed.
    writeTraffic(baseB, { blue: 0, green: 100 })
    await expect(deploy(opts('r2', { slot: 'idle' }))).rejects.toThrow(
      /^Input 'slot' has invalid value 'idle': .* says slot 'green' is idle but .* says 'blue'; the hosts' \.gantry\/traffic\.json disagree; nothing changed$/
    )
    expect(existsSync(join(baseA, 'releases', 'r2'))).toBe(false)
  })

  test('pruning keeps what the slots link to; a rollback of one slot relinks it on every host', async () => {
    for (const [id, slot] of [
      ['r1', 'blue'],
      ['r2', 'green'],
      ['r3', 'blue'],
      ['r4', 'green'],
      ['r5', 'green']
    ] as const)
      await deploy(opts(id, { slot, keep: 1 }))
    const [baseA, baseB] = bases() as [string, string]
    for (const base of [baseA, baseB]) {
      // blue: r3 (back: r1); green: r5 (back: r4); r2 is nobody's now.
      expect(existsSync(join(base, 'releases', 'r2'))).toBe(false)
      for (const id of ['r1', 'r3', 'r4', 'r5']) expect(existsSync(join(base, 'releases', id))).toBe(true)
    }
    const r = await rollback({
      targets: two(),
      slot: 'green',
      reason: 'breach',
      context: { actor: 'octocat' },
      lock: { ttlMs: 60_000, waitMs: 2_000 },
      log: () => undefined
    })
    expect(r).toMatchObject({ slot: 'green', from: 'r5', to: 'r4' })
    for (const base of [baseA, baseB]) {
      expect(slotLink(base, 'green')).toBe('../releases/r4')
      expect(slotLink(base, 'blue')).toBe('../releases/r3')
      expect(existsSync(join(base, 'current'))).toBe(false)
      const h = history(base)
      expect(h.releases.find((x) => x.id === 'r5')?.status).toBe('bad')
      expect(h.events.at(-1)).toMatchObject({ kind: 'rollback', from: 'r5', to: 'r4', slot: 'green' })
    }
  })
})
