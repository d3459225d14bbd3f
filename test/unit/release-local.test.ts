// The local target and the deploy/rollback orchestration on real temp dirs.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync
} from 'node:fs'
import { tmpdir, hostname } from 'node:os'
import { join } from 'node:path'
import {
  LocalTarget,
  acquireLock,
  buildManifest,
  deploy,
  rollback,
  verifyDir,
  type DeployOptions,
  type LockInfo
} from '@gantry/release'
import { deployOptions } from '../helpers/release-options.js'

let root: string
let src: string
let base: string
const logs: string[] = []

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-release-'))
  src = join(root, 'src')
  base = join(root, 'app')
  mkdirSync(join(src, 'assets'), { recursive: true })
  writeFileSync(join(src, 'index.html'), 'v1')
  writeFileSync(join(src, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(src, 'assets', 'big.bin'), Buffer.alloc(100_000, 7))
  symlinkSync('assets/app.js', join(src, 'app.js'))
  logs.length = 0
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

function opts(over: Partial<DeployOptions> = {}): DeployOptions {
  const log = (l: string) => logs.push(l)
  return deployOptions({ targets: [new LocalTarget(base, log)], source: src, tmpDir: root, log }, over)
}

const current = () => readlinkSync(join(base, 'current'))
const history = () => JSON.parse(readFileSync(join(base, '.gantry', 'history.json'), 'utf8'))

describe('deploy (local)', () => {
  test('first deploy copies everything, switches current, records history', async () => {
    const r = await deploy(opts({ releaseId: 'v1' }))
    expect(r).toMatchObject({ id: 'v1', previous: undefined, path: join(base, 'releases', 'v1') })
    expect(r.targets[0].prepared).toMatchObject({ files: 3, linked: 0, copied: 3 })
    expect(current()).toBe('releases/v1')
    expect(readFileSync(join(base, 'current', 'index.html'), 'utf8')).toBe('v1')
    expect(readlinkSync(join(base, 'current', 'app.js'))).toBe('assets/app.js')
    expect(history().releases).toEqual([
      expect.objectContaining({ id: 'v1', status: 'good', actor: 'octocat', run: '7', activatedAt: expect.any(String) })
    ])
    expect(history().events).toEqual([expect.objectContaining({ kind: 'deploy', to: 'v1' })])
    expect(existsSync(join(base, '.gantry', 'lock'))).toBe(false)
  })

  test('redeploy hard-links unchanged files (by hash, even renamed) and copies changed ones', async () => {
    await deploy(opts({ releaseId: 'v1' }))
    writeFileSync(join(src, 'index.html'), 'v2')
    rmSync(join(src, 'assets', 'big.bin'))
    writeFileSync(join(src, 'renamed.bin'), Buffer.alloc(100_000, 7))
    const r = await deploy(opts({ releaseId: 'v2' }))
    expect(r.previous).toBe('v1')
    expect(r.targets[0].prepared).toMatchObject({ linked: 2, copied: 1 })
    const ino = (p: string) => statSync(p).ino
    expect(ino(join(base, 'releases', 'v2', 'renamed.bin'))).toBe(
      ino(join(base, 'releases', 'v1', 'assets', 'big.bin'))
    )
    expect(ino(join(base, 'releases', 'v2', 'index.html'))).not.toBe(ino(join(base, 'releases', 'v1', 'index.html')))
    expect(readFileSync(join(base, 'current', 'index.html'), 'utf8')).toBe('v2')
  })

  test('a file changed in place in the previous release is not carried forward', async () => {
    await deploy(opts({ releaseId: 'v1' }))
    writeFileSync(join(base, 'releases', 'v1', 'assets', 'app.js'), 'tampered!!!!!!')
    const r = await deploy(opts({ releaseId: 'v2' }))
    expect(readFileSync(join(base, 'releases', 'v2', 'assets', 'app.js'), 'utf8')).toBe('console.log(1)')
    expect(r.targets[0].prepared?.linked).toBe(0)
    expect(logs.join('\n')).toMatch(/did not verify .*copying every file instead/)
  })

  test('the source hash cache never hides a change, even with the mtime put back', async () => {
    const old = new Date(Date.now() - 3_600_000)
    for (const f of ['index.html', 'assets/app.js', 'assets/big.bin']) utimesSync(join(src, f), old, old)
    await deploy(opts({ releaseId: 'v1' }))
    const m1 = await new LocalTarget(base).readManifest('v1')
    expect(Object.keys(m1?.source?.stat ?? {}).sort()).toEqual(['assets/app.js', 'assets/big.bin', 'index.html'])
    writeFileSync(join(src, 'index.html'), 'v9') // same size
    utimesSync(join(src, 'index.html'), old, old)
    await deploy(opts({ releaseId: 'v2' }))
    expect(readFileSync(join(base, 'current', 'index.html'), 'utf8')).toBe('v9')
    expect((await new LocalTarget(base).verify('v2', true)).ok).toBe(true)
  })

  test('keep prunes the oldest, never current nor the newest good one', async () => {
    for (const id of ['v1', 'v2', 'v3']) await deploy(opts({ releaseId: id, keep: 2 }))
    await expect(new LocalTarget(base).listReleases()).resolves.toEqual(expect.arrayContaining(['v2', 'v3']))
    expect(existsSync(join(base, 'releases', 'v1'))).toBe(false)
    expect(existsSync(join(base, '.gantry', 'manifests', 'v1.json'))).toBe(false)
    expect(history().releases.find((r: { id: string }) => r.id === 'v1').prunedAt).toEqual(expect.any(String))
    // v3 goes bad: the rollback target v2 must survive keep=1.
    await rollback({ targets: [new LocalTarget(base)], reason: 'gate', context: {}, lock: opts().lock, log: () => {} })
    expect(current()).toBe('releases/v2')
    await deploy(opts({ releaseId: 'v4', keep: 1 }))
    expect((await new LocalTarget(base).listReleases()).sort()).toEqual(['v2', 'v4'])
  })

  test('shared paths link into <path>/shared, seeded once from the source', async () => {
    mkdirSync(join(src, 'storage'))
    writeFileSync(join(src, 'storage', 'seed.txt'), 'seed')
    await deploy(opts({ releaseId: 'v1', shared: ['storage', 'var/log'] }))
    expect(readlinkSync(join(base, 'releases', 'v1', 'storage'))).toBe('../../shared/storage')
    expect(readlinkSync(join(base, 'releases', 'v1', 'var', 'log'))).toBe('../../../shared/var/log')
    expect(readFileSync(join(base, 'current', 'storage', 'seed.txt'), 'utf8')).toBe('seed')
    writeFileSync(join(base, 'shared', 'storage', 'upload.txt'), 'user data')
    await deploy(opts({ releaseId: 'v2', shared: ['storage', 'var/log'] }))
    expect(readFileSync(join(base, 'current', 'storage', 'upload.txt'), 'utf8')).toBe('user data')
    expect((await new LocalTarget(base).verify('v2', true)).ok).toBe(true)
  })

  test('activate runs in the release without a shell; a failure switches back and marks the release bad', async () => {
    await deploy(opts({ releaseId: 'v1', activate: ['sh', '-c', 'pwd > ../../activated; echo $GANTRY_RELEASE_ID'] }))
    expect(readFileSync(join(base, 'activated'), 'utf8').trim()).toBe(join(base, 'releases', 'v1'))
    await expect(deploy(opts({ releaseId: 'v2', activate: ['sh', '-c', 'exit 3'] }))).rejects.toThrow(
      /activate exited with code 3; switched back to v1, release v2 marked bad/
    )
    expect(current()).toBe('releases/v1')
    expect(history().releases.find((r: { id: string }) => r.id === 'v2')).toMatchObject({
      status: 'bad',
      bad: { reason: 'activate exited with code 3' }
    })
    await expect(deploy(opts({ releaseId: 'v3', activate: ['/nonexistent/cmd'] }))).rejects.toThrow(
      /activate could not run/
    )
    expect(current()).toBe('releases/v1')
  })

  test('release ids are never reused; default ids are unique', async () => {
    await deploy(opts({ releaseId: 'v1' }))
    await expect(deploy(opts({ releaseId: 'v1' }))).rejects.toThrow(/release-id 'v1' already exists .* never reused/)
    const fixed = () => new Date('2026-11-23T10:00:00Z')
    const a = await deploy(opts({ now: fixed }))
    const b = await deploy(opts({ now: fixed }))
    expect([a.id, b.id]).toEqual(['20261123T100000Z-abcdef0', '20261123T100000Z-abcdef0-2'])
  })

  test('what a crash left behind is cleaned by the next deploy', async () => {
    await deploy(opts({ releaseId: 'v1' }))
    mkdirSync(join(base, 'releases', '.partial-v2-deadbeef', 'half'), { recursive: true })
    writeFileSync(join(base, '.gantry', 'manifests', 'v2.json'), '{}')
    writeFileSync(join(base, '.gantry', '.history.json.tmp-123-abcdef01'), '{')
    symlinkSync('releases/v1', join(base, '.current.tmp-123-abcdef01'))
    const r = await deploy(opts({ releaseId: 'v3' }))
    expect(r.targets[0].cleaned.sort()).toEqual(
      [
        '.current.tmp-123-abcdef01',
        '.gantry/.history.json.tmp-123-abcdef01',
        '.gantry/manifests/v2.json',
        'releases/.partial-v2-deadbeef'
      ].sort()
    )
    expect(existsSync(join(base, 'releases', '.partial-v2-deadbeef'))).toBe(false)
    expect(history().events.map((e: { kind: string }) => e.kind)).toEqual(['deploy', 'clean', 'deploy'])
  })

  test('a source with a symlink out of the release is refused before anything changes', async () => {
    symlinkSync('/etc/passwd', join(src, 'evil'))
    await expect(deploy(opts({ releaseId: 'v1' }))).rejects.toThrow(/symlink 'evil' -> '\/etc\/passwd' is absolute/)
    expect(existsSync(base)).toBe(false)
  })

  test('current that is a real directory is not replaced', async () => {
    mkdirSync(join(base, 'current'), { recursive: true })
    await expect(deploy(opts({ releaseId: 'v1' }))).rejects.toThrow(/is not a symlink/)
  })
})

describe('rollback (local)', () => {
  test('switches to the newest good older release, marks the left one bad with who and why', async () => {
    for (const id of ['v1', 'v2', 'v3']) await deploy(opts({ releaseId: id }))
    const r = await rollback({
      targets: [new LocalTarget(base)],
      reason: 'p95 regression',
      context: { actor: 'octocat', run: '99' },
      lock: opts().lock,
      log: () => {}
    })
    expect(r).toMatchObject({ from: 'v3', to: 'v2' })
    expect(current()).toBe('releases/v2')
    const v3 = history().releases.find((x: { id: string }) => x.id === 'v3')
    expect(v3).toMatchObject({ status: 'bad', bad: { reason: 'p95 regression', actor: 'octocat', run: '99' } })
    expect(history().events.at(-1)).toMatchObject({ kind: 'rollback', from: 'v3', to: 'v2', actor: 'octocat' })
    // Again: goes further back, never forward onto bad v3.
    await rollback({
      targets: [new LocalTarget(base)],
      reason: 'still bad',
      context: {},
      lock: opts().lock,
      log: () => {}
    })
    expect(current()).toBe('releases/v1')
    await expect(
      rollback({ targets: [new LocalTarget(base)], reason: 'x', context: {}, lock: opts().lock, log: () => {} })
    ).rejects.toThrow(/nothing to roll back to .* no good release older than v1; nothing changed/)
    expect(current()).toBe('releases/v1')
  })

  test('explicit to: must exist, must not be bad', async () => {
    for (const id of ['v1', 'v2', 'v3']) await deploy(opts({ releaseId: id }))
    const rb = (to: string) =>
      rollback({ targets: [new LocalTarget(base)], to, reason: 'x', context: {}, lock: opts().lock, log: () => {} })
    await expect(rb('v9')).rejects.toThrow(/release 'v9' does not exist .* nothing changed/)
    await rb('v1')
    expect(current()).toBe('releases/v1')
    await expect(rb('v3')).rejects.toThrow(/release 'v3' is marked bad .* refusing/)
  })

  test('a watch never rolls back a release it did not watch', async () => {
    for (const id of ['v1', 'v2', 'v3']) await deploy(opts({ releaseId: id }))
    await expect(
      rollback({
        targets: [new LocalTarget(base)],
        expectFrom: 'v2',
        reason: 'x',
        context: {},
        lock: opts().lock,
        log: () => {}
      })
    ).rejects.toThrow(/current changed during the watch \(v2 -> v3\); not rolling back .* nothing changed/)
    expect(current()).toBe('releases/v3')
    expect(history().releases.every((r: { status: string }) => r.status === 'good')).toBe(true)
  })

  test('a damaged target release is refused', async () => {
    await deploy(opts({ releaseId: 'v1' }))
    await deploy(opts({ releaseId: 'v2' }))
    rmSync(join(base, 'releases', 'v1', 'index.html'))
    await expect(
      rollback({ targets: [new LocalTarget(base)], reason: 'x', context: {}, lock: opts().lock, log: () => {} })
    ).rejects.toThrow(/release 'v1' .* is damaged \(index.html: missing\)/)
    expect(current()).toBe('releases/v2')
  })
})

describe('lock', () => {
  const t = () => new LocalTarget(base)
  const info = (over: Partial<LockInfo>): LockInfo => ({
    token: 'other',
    purpose: 'deploy',
    host: hostname(),
    pid: 999_999_999,
    acquiredAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ...over
  })

  test('a lock whose pid is gone on this host is broken, with a log line naming the owner', async () => {
    await t().init()
    expect(await t().createLock(info({ run: '41' }))).toBe(true)
    const held = await acquireLock([t()], 'deploy', { ttlMs: 60_000, waitMs: 1000, log: (l) => logs.push(l) })
    expect(logs.join('\n')).toMatch(/broke a stale lock held by run 41 .* pid 999999999, .* is gone/)
    expect(await t().readLock()).toMatchObject({ token: held.info.token, pid: process.pid })
    await held.release()
    expect(await t().readLock()).toBeUndefined()
  })

  test('a live owner on another host is waited for, then a clear failure', async () => {
    await t().init()
    await t().createLock(info({ host: 'elsewhere', run: '41' }))
    await expect(acquireLock([t()], 'deploy', { ttlMs: 60_000, waitMs: 300, pollMs: 50 })).rejects.toThrow(
      /another deploy holds the lock: run 41 \(deploy\) on elsewhere, pid 999999999, since .*; gave up after waiting/
    )
    expect(await t().readLock()).toMatchObject({ token: 'other' })
  })

  test('an expired lock on another host is broken; an unreadable one too', async () => {
    await t().init()
    await t().createLock(info({ host: 'elsewhere', expiresAt: new Date(Date.now() - 1000).toISOString() }))
    const a = await acquireLock([t()], 'deploy', { ttlMs: 60_000, waitMs: 1000 })
    await a.release()
    writeFileSync(join(base, '.gantry', 'lock'), 'garbage')
    const b = await acquireLock([t()], 'deploy', { ttlMs: 60_000, waitMs: 1000 })
    await b.release()
  })

  test('removeLock never removes a lock that is not ours', async () => {
    await t().init()
    await t().createLock(info({}))
    expect(await t().removeLock({ token: 'mine' })).toBe(false)
    expect(await t().readLock()).toMatchObject({ token: 'other' })
  })

  test('the holder refreshes its expiry', async () => {
    await t().init()
    const held = await acquireLock([t()], 'deploy', { ttlMs: 3000, waitMs: 1000 })
    const first = ((await t().readLock()) as LockInfo).expiresAt
    const start = Date.now()
    while (((await t().readLock()) as LockInfo).expiresAt === first && Date.now() - start < 10_000) {
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(((await t().readLock()) as LockInfo).expiresAt > first).toBe(true)
    await held.release()
  })
})

describe('lock on several targets', () => {
  const hosts = () => ['h1', 'h2', 'h3'].map((h) => new LocalTarget(join(root, h)))
  const other = (over: Partial<LockInfo> = {}): LockInfo => ({
    token: 'other',
    purpose: 'deploy',
    host: 'elsewhere',
    pid: 999_999_999,
    acquiredAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ...over
  })
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
  const owners = async (ts: LocalTarget[]) =>
    Promise.all(ts.map(async (x) => ((await x.readLock()) as LockInfo | undefined)?.token))

  test('uncontended: one try on each target, every one held with the same token, every one given back', async () => {
    const ts = hosts()
    for (const x of ts) await x.init()
    const calls: string[] = []
    for (const x of ts) {
      const create = x.createLock.bind(x)
      x.createLock = (i) => (calls.push(x.name), create(i))
    }
    const held = await acquireLock(ts, 'deploy', { ttlMs: 60_000, waitMs: 1000 })
    expect(calls.sort()).toEqual(ts.map((x) => x.name).sort())
    expect(await owners(ts)).toEqual([held.info.token, held.info.token, held.info.token])
    await held.release()
    expect(await owners(ts)).toEqual([undefined, undefined, undefined])
  })

  test('one target held: the first try is given back, and the others are taken in order while it waits', async () => {
    const ts = hosts()
    for (const x of ts) await x.init()
    await ts[1].createLock(other())
    const logs: string[] = []
    const pending = acquireLock(ts, 'deploy', { ttlMs: 60_000, waitMs: 5000, pollMs: 20, log: (l) => logs.push(l) })
    await sleep(300)
    // Waiting on h2 holding h1 only: h3, after it in the order, is free for a run that holds it to finish.
    const mine = ((await ts[0].readLock()) as LockInfo).token
    expect(await owners(ts)).toEqual([mine, 'other', undefined])
    expect(logs).toEqual([expect.stringMatching(/h2: waiting for the lock held by a run \(deploy\) on elsewhere/)])
    await ts[1].removeLock({ token: 'other' })
    const held = await pending
    expect(await owners(ts)).toEqual([held.info.token, held.info.token, held.info.token])
    await held.release()
  })

  test('two runs at once on the same targets never deadlock: one waits for the other', async () => {
    const ts = hosts()
    for (const x of ts) await x.init()
    const order: string[] = []
    const run = async (name: string) => {
      const held = await acquireLock(ts, name, { ttlMs: 60_000, waitMs: 5000, pollMs: 20 })
      order.push(`${name} in`)
      await sleep(50)
      order.push(`${name} out`)
      await held.release()
    }
    await Promise.all([run('a'), run('b')])
    expect(order).toHaveLength(4)
    // One in and out before the other in.
    expect(order[0].split(' ')[0]).toBe(order[1].split(' ')[0])
    expect(await owners(ts)).toEqual([undefined, undefined, undefined])
  })

  test('a first-try lock that could not be given back is taken as ours', async () => {
    const ts = hosts()
    for (const x of ts) await x.init()
    await ts[2].createLock(other())
    const remove = ts[0].removeLock.bind(ts[0])
    let failOnce = true
    ts[0].removeLock = (e) => {
      if (!failOnce) return remove(e)
      failOnce = false
      return Promise.reject(new Error('connection lost'))
    }
    const pending = acquireLock(ts, 'deploy', { ttlMs: 60_000, waitMs: 5000, pollMs: 20 })
    await sleep(200)
    await ts[2].removeLock({ token: 'other' })
    const held = await pending
    expect(await owners(ts)).toEqual([held.info.token, held.info.token, held.info.token])
    await held.release()
    expect(await owners(ts)).toEqual([undefined, undefined, undefined])
  })
})

describe('manifest', () => {
  test('verify finds changed, missing, extra files and mode changes', async () => {
    const m = buildManifest(src)
    expect(m.files).toBe(3)
    expect(verifyDir(src, m)).toMatchObject({ ok: true })
    writeFileSync(join(src, 'index.html'), 'v9')
    writeFileSync(join(src, 'extra'), 'x')
    chmodSync(join(src, 'assets', 'app.js'), 0o600)
    rmSync(join(src, 'assets', 'big.bin'))
    const v = verifyDir(src, m)
    expect(v.ok).toBe(false)
    expect(v.problems.sort()).toEqual(
      [
        'assets/app.js: mode 600, expected 644',
        'assets/big.bin: missing',
        'extra: not in the manifest',
        'index.html: content differs (sha256 mismatch)'
      ].sort()
    )
    // The quick checks (rollback): sizes see a size change; presence sees only missing or retyped entries.
    const m2 = buildManifest(src)
    writeFileSync(join(src, 'index.html'), 'v8')
    expect(verifyDir(src, m2, true).ok).toBe(false)
    expect(verifyDir(src, m2, false).ok).toBe(true)
    writeFileSync(join(src, 'index.html'), 'longer')
    expect(verifyDir(src, m2, false).problems).toEqual(['index.html: size 6, expected 2'])
    expect(verifyDir(src, m2, 'presence').ok).toBe(true)
    rmSync(join(src, 'extra'))
    mkdirSync(join(src, 'extra'))
    expect(verifyDir(src, m2, 'presence').problems).toEqual(['extra: expected a file'])
  })
})

describe('prepare (local)', () => {
  test('a file that cannot be copied fails the prepare with its error, and no release appears', async () => {
    for (let i = 0; i < 40; i++) writeFileSync(join(src, 'assets', `f${i}.txt`), `file ${i}`)
    const manifest = buildManifest(src)
    // Gone between the manifest and the copy: 40 copies fail, the first failure is thrown.
    for (let i = 0; i < 40; i++) rmSync(join(src, 'assets', `f${i}.txt`))
    const t = new LocalTarget(base, () => undefined)
    await t.init()
    const err = await t.prepare({ id: 'r1', sourceDir: src, manifest, shared: [] }).catch((e: unknown) => e)
    expect((err as NodeJS.ErrnoException).code).toBe('ENOENT')
    expect(existsSync(join(base, 'releases', 'r1'))).toBe(false)
  })
})
