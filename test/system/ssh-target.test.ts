// The ssh target against sshd from Debian on 127.0.0.1 (two servers: two
// "hosts"), with the real OpenSSH client and rsync, driven through the shared
// deploy/rollback/lock policy exactly as the actions drive it.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  DeployError,
  acquireLock,
  deploy,
  makeSshTargets,
  rollback,
  verifyDir,
  type DeployOptions,
  type LockInfo,
  type Target
} from '@gantry/release'
import { freeze, keygen, startSshd, thaw, type Sshd } from '../helpers/sshd.js'
import { writeFiles } from '../helpers/git-tree.js'

jest.setTimeout(180_000)

let a: Sshd
let b: Sshd
let keyDir: string
let root: string
let targets: Target[] = []
const logs: string[] = []
const warnings: string[] = []

beforeAll(async () => {
  keyDir = mkdtempSync(join(tmpdir(), 'gantry-ssh-key-'))
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
  root = mkdtempSync(join(tmpdir(), 'gantry-ssh-target-'))
  logs.length = 0
  warnings.length = 0
})

afterEach(async () => {
  for (const t of targets) await t.close()
  targets = []
  for (const d of [baseA(), baseB()]) thaw(d)
  rmSync(root, { recursive: true, force: true })
})

const baseA = () => join(root, 'hostA', 'app')
const baseB = () => join(root, 'hostB', 'app')
const runnerTemp = () => {
  const d = join(root, 'runner-temp')
  mkdirSync(d, { recursive: true })
  return d
}

/** Both hosts (each its own sshd and its own <path>), one key, both host keys known. */
function two(knownHosts = `${a.knownHosts}\n${b.knownHosts}\n`): Target[] {
  const hosts = [a, b]
  targets = hosts.map(
    (h, i) =>
      makeSshTargets(
        { kind: 'ssh', path: i === 0 ? baseA() : baseB(), hosts: [h.host], sshKey: a.clientKey, knownHosts },
        { log: (l) => logs.push(l), warn: (w) => warnings.push(w), tempRoot: runnerTemp() }
      )[0]
  )
  return targets
}

const source = (name: string, files: Record<string, string>): string => writeFiles(join(root, name), files)

const opts = (t: Target[], src: string, o: Partial<DeployOptions> = {}): DeployOptions => ({
  targets: t,
  source: src,
  keep: 5,
  shared: [],
  activateTimeoutMs: 30_000,
  tmpDir: root,
  context: { run: '77', actor: 'octocat', sha: '0123456789abcdef' },
  lock: { ttlMs: 120_000, waitMs: 5_000 },
  log: (l) => logs.push(l),
  ...o
})

const current = (base: string) => readlinkSync(join(base, 'current'))
const history = (base: string) => JSON.parse(readFileSync(join(base, '.gantry', 'history.json'), 'utf8'))
const storedManifest = (base: string, id: string) =>
  JSON.parse(readFileSync(join(base, '.gantry', 'manifests', `${id}.json`), 'utf8'))

describe('ssh target: deploy and rollback on two hosts', () => {
  test('uploads to both, switches both, hard-links unchanged files, verifies; rollback switches both back', async () => {
    const t = two()
    const files: Record<string, string> = { 'index.html': 'v1' }
    for (let i = 0; i < 40; i++) files[`assets/f${i}.js`] = `file ${i}`
    const r1 = await deploy(opts(t, source('v1', files), { releaseId: 'r1' }))
    expect(r1.targets.map((o) => o.prepared?.copied)).toEqual([41, 41])
    for (const base of [baseA(), baseB()]) {
      expect(current(base)).toBe('releases/r1')
      expect(verifyDir(join(base, 'releases', 'r1'), storedManifest(base, 'r1')).ok).toBe(true)
      expect(history(base).releases[0]).toMatchObject({ id: 'r1', status: 'good', run: '77' })
    }

    const r2 = await deploy(opts(t, source('v2', { ...files, 'index.html': 'v2' }), { releaseId: 'r2' }))
    expect(r2.previous).toBe('r1')
    // 40 unchanged files are hard links to r1's, on each host; only index.html travelled.
    expect(r2.targets.map((o) => [o.prepared?.linked, o.prepared?.copied])).toEqual([
      [40, 1],
      [40, 1]
    ])
    for (const base of [baseA(), baseB()]) {
      expect(current(base)).toBe('releases/r2')
      expect(readFileSync(join(base, 'current', 'index.html'), 'utf8')).toBe('v2')
      expect(statSync(join(base, 'releases', 'r2', 'assets', 'f7.js')).ino).toBe(
        statSync(join(base, 'releases', 'r1', 'assets', 'f7.js')).ino
      )
      expect(statSync(join(base, 'releases', 'r2', 'index.html')).ino).not.toBe(
        statSync(join(base, 'releases', 'r1', 'index.html')).ino
      )
      expect(verifyDir(join(base, 'releases', 'r2'), storedManifest(base, 'r2')).ok).toBe(true)
    }

    const rb = await rollback({
      targets: t,
      reason: 'p95 regression',
      context: { run: '78', actor: 'hubot' },
      lock: { ttlMs: 60_000, waitMs: 5_000 },
      log: (l) => logs.push(l)
    })
    expect(rb).toMatchObject({ from: 'r2', to: 'r1' })
    for (const base of [baseA(), baseB()]) {
      expect(current(base)).toBe('releases/r1')
      const h = history(base)
      expect(h.releases.find((x: { id: string }) => x.id === 'r2')).toMatchObject({
        status: 'bad',
        bad: { reason: 'p95 regression', actor: 'hubot', run: '78' }
      })
      expect(h.events.at(-1)).toMatchObject({ kind: 'rollback', from: 'r2', to: 'r1' })
      expect(existsSync(join(base, '.gantry', 'lock'))).toBe(false)
    }
    // Nothing older than r1 that is good: a clear failure, nothing changed.
    await expect(
      rollback({
        targets: t,
        reason: 'again',
        context: {},
        lock: { ttlMs: 60_000, waitMs: 5_000 },
        log: () => undefined
      })
    ).rejects.toThrow(/nothing to roll back to .*nothing changed/)
    expect(current(baseA())).toBe('releases/r1')
  })

  test('a switch failure on one host switches every host back and fails', async () => {
    const t = two()
    await deploy(opts(t, source('v1', { 'index.html': 'v1' }), { releaseId: 'r1' }))
    // Host B's <path> becomes immutable: uploads (under releases/) still work,
    // but a new entry beside `current` cannot be made, even by root.
    freeze(baseB())
    const err = await deploy(opts(t, source('v2', { 'index.html': 'v2' }), { releaseId: 'r2' })).catch((e) => e)
    expect(err).toBeInstanceOf(DeployError)
    expect(String(err.message)).toMatch(
      /127\.0\.0\.1:\d+:.*hostB\/app: switch to r2 failed: .*(Operation not permitted|Permission denied)/
    )
    expect(String(err.message)).toMatch(/switched back: .*hostA\/app -> r1/)
    // Both uploaded and verified; both serve r1.
    for (const base of [baseA(), baseB()]) {
      expect(existsSync(join(base, 'releases', 'r2', 'index.html'))).toBe(true)
      expect(current(base)).toBe('releases/r1')
      expect(readFileSync(join(base, 'current', 'index.html'), 'utf8')).toBe('v1')
      // r2 never became current anywhere, so it is never a rollback target.
      expect(history(base).releases.find((x: { id: string }) => x.id === 'r2').activatedAt).toBeUndefined()
    }
    thaw(baseB())
    const r3 = await deploy(opts(t, source('v3', { 'index.html': 'v3' }), { releaseId: 'r3' }))
    expect(r3.previous).toBe('r1')
    for (const base of [baseA(), baseB()]) expect(current(base)).toBe('releases/r3')
  })

  test('a rollback whose switch fails on one host puts every host back on the release it left', async () => {
    const t = two()
    await deploy(opts(t, source('v1', { 'index.html': 'v1' }), { releaseId: 'r1' }))
    await deploy(opts(t, source('v2', { 'index.html': 'v2' }), { releaseId: 'r2' }))
    freeze(baseB())
    const err = await rollback({
      targets: t,
      reason: 'gate failed',
      context: {},
      lock: { ttlMs: 60_000, waitMs: 5_000 },
      log: (l) => logs.push(l)
    }).catch((e) => e)
    thaw(baseB())
    expect(String(err.message)).toMatch(/hostB\/app: switch to r1 failed: .*; switched back: .*hostA\/app -> r2/)
    for (const base of [baseA(), baseB()]) {
      expect(current(base)).toBe('releases/r2')
      // Nothing was marked: the rollback did not happen.
      expect(history(base).releases.every((r: { status: string }) => r.status === 'good')).toBe(true)
      expect(existsSync(join(base, '.gantry', 'lock'))).toBe(false)
    }
  })

  test('activate runs on every host in the release dir; a failure switches both back and marks the release bad', async () => {
    const t = two()
    const activate = ['sh', '-c', 'printf "%s %s" "$GANTRY_RELEASE_ID" "$GANTRY_PREVIOUS_RELEASE_ID" > activated; pwd']
    await deploy(opts(t, source('v1', { 'index.html': 'v1' }), { releaseId: 'r1', activate }))
    for (const base of [baseA(), baseB()]) {
      expect(readFileSync(join(base, 'releases', 'r1', 'activated'), 'utf8')).toBe('r1 ')
    }
    expect(logs).toContain(`activate: ${join(baseA(), 'releases', 'r1')}`)

    const failing = ['sh', '-c', 'echo "migration failed" >&2; exit 3']
    const err = await deploy(
      opts(t, source('v2', { 'index.html': 'v2' }), { releaseId: 'r2', activate: failing })
    ).catch((e) => e)
    expect(String(err.message)).toMatch(/activate exited with code 3; switched back to r1, release r2 marked bad/)
    for (const base of [baseA(), baseB()]) {
      expect(current(base)).toBe('releases/r1')
      expect(history(base).releases.find((x: { id: string }) => x.id === 'r2').status).toBe('bad')
    }

    const missing = await deploy(
      opts(t, source('v3', { 'index.html': 'v3' }), { releaseId: 'r3', activate: ['no-such-command-gantry'] })
    ).catch((e) => e)
    expect(String(missing.message)).toMatch(/activate could not run: .*no-such-command-gantry: command not found/)
    expect(current(baseA())).toBe('releases/r1')
  })
})

describe('ssh target: primitives', () => {
  test('shared paths are seeded once from the source and linked into every release', async () => {
    const t = two()
    const shared = ['storage', 'config/app.env']
    const v1 = source('v1', { 'index.html': 'v1', 'storage/seed.txt': 'seed', 'config/app.env': 'A=1' })
    await deploy(opts(t, v1, { releaseId: 'r1', shared }))
    for (const base of [baseA(), baseB()]) {
      expect(readlinkSync(join(base, 'releases', 'r1', 'storage'))).toBe('../../shared/storage')
      expect(readlinkSync(join(base, 'releases', 'r1', 'config', 'app.env'))).toBe('../../../shared/config/app.env')
      expect(readFileSync(join(base, 'current', 'storage', 'seed.txt'), 'utf8')).toBe('seed')
      writeFileSync(join(base, 'shared', 'storage', 'upload.png'), 'user data')
    }
    const v2 = source('v2', { 'index.html': 'v2', 'storage/seed.txt': 'new seed', 'config/app.env': 'A=2' })
    await deploy(opts(t, v2, { releaseId: 'r2', shared }))
    for (const base of [baseA(), baseB()]) {
      // The shared copy is the host's: not overwritten by a later source.
      expect(readFileSync(join(base, 'current', 'storage', 'upload.png'), 'utf8')).toBe('user data')
      expect(readFileSync(join(base, 'current', 'config', 'app.env'), 'utf8')).toBe('A=1')
    }
  })

  test('hostile file names and a hostile <path> travel intact and run nothing', async () => {
    const nasty = join(root, `it's "$(touch PWNED)" \`id\` ; rm -rf x & \\n`)
    targets = makeSshTargets(
      { kind: 'ssh', path: nasty, hosts: [a.host], sshKey: a.clientKey, knownHosts: a.knownHosts },
      { log: (l) => logs.push(l), warn: (w) => warnings.push(w), tempRoot: runnerTemp() }
    )
    const files = {
      '-rf': 'dash',
      'quote\'d "file".txt': 'quotes',
      'new\nline.txt': 'newline',
      'spa ce/$(touch PWNED2)': 'subst',
      'ünïcode/✓.txt': 'utf8',
      'back\\slash': 'bs'
    }
    const src = source('v1', files)
    symlinkSync('spa ce/$(touch PWNED2)', join(src, 'link to it'))
    await deploy(opts(targets, src, { releaseId: 'r1' }))
    for (const [p, text] of Object.entries(files)) expect(readFileSync(join(nasty, 'current', p), 'utf8')).toBe(text)
    expect(readlinkSync(join(nasty, 'current', 'link to it'))).toBe('spa ce/$(touch PWNED2)')
    const m = storedManifest(nasty, 'r1')
    expect(verifyDir(join(nasty, 'releases', 'r1'), m).ok).toBe(true)
    expect(await targets[0].verify('r1', true)).toMatchObject({ ok: true, checked: Object.keys(m.entries).length })
    for (const dir of [root, nasty, join(nasty, 'releases', 'r1'), process.env.HOME ?? '/root']) {
      expect(readdirSync(dir).filter((n) => n.startsWith('PWNED'))).toEqual([])
    }
  })

  test('verify: a changed byte fails the deep check; a rollback onto a damaged release changes nothing', async () => {
    const t = two()
    await deploy(opts(t, source('v1', { 'index.html': 'v1', 'app.js': 'aaaa' }), { releaseId: 'r1' }))
    await deploy(opts(t, source('v2', { 'index.html': 'v2', 'app.js': 'aaaa' }), { releaseId: 'r2' }))
    const file = join(baseB(), 'releases', 'r1', 'index.html')
    rmSync(file)
    writeFileSync(file, 'xx') // same size as 'v1'
    expect(await t[1].verify('r1', true)).toMatchObject({
      ok: false,
      problems: ['index.html: content differs (sha256 mismatch)']
    })
    expect((await t[1].verify('r1', false)).ok).toBe(true)
    writeFileSync(file, 'longer')
    expect((await t[1].verify('r1', false)).problems).toEqual(['index.html: size 6, expected 2'])
    await expect(
      rollback({ targets: t, reason: 'x', context: {}, lock: { ttlMs: 60_000, waitMs: 5_000 }, log: () => undefined })
    ).rejects.toThrow(/release 'r1' on .*hostB\/app is damaged .*nothing changed/)
    for (const base of [baseA(), baseB()]) expect(current(base)).toBe('releases/r2')
  })

  test('a file of the previous release changed in place is not carried forward', async () => {
    const t = two()
    await deploy(opts(t, source('v1', { 'index.html': 'v1', 'lib.js': 'original' }), { releaseId: 'r1' }))
    // Same size, same path, new bytes: rsync --checksum sees the change and does not link.
    writeFileSync(join(baseA(), 'releases', 'r1', 'lib.js'), 'tampered')
    const r2 = await deploy(opts(t, source('v2', { 'index.html': 'v2', 'lib.js': 'original' }), { releaseId: 'r2' }))
    expect(readFileSync(join(baseA(), 'releases', 'r2', 'lib.js'), 'utf8')).toBe('original')
    expect(r2.targets[0].prepared).toMatchObject({ linked: 0, copied: 2 })
    expect(r2.targets[1].prepared).toMatchObject({ linked: 1, copied: 1 })
  })

  test('lock: exclusive, owner-only removal, heartbeat, a dead owner on this host is broken', async () => {
    const [t] = two()
    await t.init()
    const info = (token: string, pid = process.pid): LockInfo => ({
      token,
      purpose: 'deploy',
      host: hostname(),
      pid,
      acquiredAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString()
    })
    expect(await t.createLock(info('one'))).toBe(true)
    expect(await t.createLock(info('two'))).toBe(false)
    expect(await t.readLock()).toMatchObject({ token: 'one' })
    expect(await t.removeLock({ token: 'two' })).toBe(false)
    expect(await t.refreshLock({ ...info('one'), purpose: 'refreshed' })).toBe(true)
    expect(await t.refreshLock(info('two'))).toBe(false)
    expect(await t.readLock()).toMatchObject({ token: 'one', purpose: 'refreshed' })
    expect(await t.removeLock({ token: 'one' })).toBe(true)
    expect(await t.readLock()).toBeUndefined()

    // A lock left by a pid that no longer exists on this host is broken by the next run.
    const dead = execFileSync('sh', ['-c', 'sh -c "echo \\$\\$"']).toString().trim()
    expect(await t.createLock(info('stale', Number(dead)))).toBe(true)
    const held = await acquireLock([t], 'deploy', { ttlMs: 60_000, waitMs: 2_000, log: (l) => logs.push(l) })
    expect(logs.join('\n')).toMatch(/broke a stale lock held by .* is gone/)
    expect(await t.readLock()).toMatchObject({ token: held.info.token })
    await held.release()
    expect(existsSync(join(baseA(), '.gantry', 'lock'))).toBe(false)

    // A live owner: wait, then fail clearly.
    expect(await t.createLock(info('live'))).toBe(true)
    await expect(acquireLock([t], 'deploy', { ttlMs: 60_000, waitMs: 500, pollMs: 100 })).rejects.toThrow(
      /another deploy holds the lock: .*pid \d+/
    )
    writeFileSync(join(baseA(), '.gantry', 'lock'), '{not json')
    expect(await t.readLock()).toBe('unreadable')
  })

  test('cleanPartials removes what an interrupted run left, and nothing else', async () => {
    const [t] = two()
    await deploy(opts([t], source('v1', { 'index.html': 'v1' }), { releaseId: 'r1' }))
    const base = baseA()
    mkdirSync(join(base, 'releases', '.partial-r2-0a1b2c3d', 'deep'), { recursive: true })
    writeFileSync(join(base, 'releases', '.partial-r2-0a1b2c3d', 'deep', 'x'), 'x')
    symlinkSync('releases/r1', join(base, '.current.tmp-123-abcdef01'))
    writeFileSync(join(base, '.gantry', '.history.json.tmp-9-0badcafe'), '{')
    writeFileSync(join(base, '.gantry', 'manifests', 'ghost.json'), '{}')
    writeFileSync(join(base, 'keep-me.txt'), 'operator file')
    const r = await t.cleanPartials()
    expect(r.partials.sort()).toEqual(
      [
        'releases/.partial-r2-0a1b2c3d',
        '.current.tmp-123-abcdef01',
        '.gantry/.history.json.tmp-9-0badcafe',
        '.gantry/manifests/ghost.json'
      ].sort()
    )
    expect(readdirSync(join(base, 'releases'))).toEqual(['r1'])
    expect(existsSync(join(base, 'keep-me.txt'))).toBe(true)
    expect(await t.listReleases()).toEqual(['r1'])
    expect(await t.readManifest('r1')).toMatchObject({ version: 1, files: 1 })
    expect(await t.readManifest('ghost')).toBeUndefined()
  })

  test('current: none, a symlink, or a clear error when it is a directory', async () => {
    const [t] = two()
    await t.init()
    expect(await t.current()).toBeUndefined()
    mkdirSync(join(baseA(), 'current'))
    await expect(t.current()).rejects.toThrow(/current exists but is not a symlink; move it away first/)
    rmSync(join(baseA(), 'current'), { recursive: true })
    symlinkSync('/etc', join(baseA(), 'current'))
    await expect(t.current()).rejects.toThrow(/points at '\/etc', not at releases\/<id>/)
  })

  test('removeRelease deletes a release and its manifest', async () => {
    const [t] = two()
    await deploy(opts([t], source('v1', { 'index.html': 'v1' }), { releaseId: 'r1' }))
    await deploy(opts([t], source('v2', { 'index.html': 'v2' }), { releaseId: 'r2' }))
    await t.removeRelease('r1')
    expect(await t.listReleases()).toEqual(['r2'])
    expect(existsSync(join(baseA(), '.gantry', 'manifests', 'r1.json'))).toBe(false)
    await expect(t.removeRelease('../etc')).rejects.toThrow(/not a valid release id/)
  })

  test('prune keeps `keep` releases and never the current or newest good one', async () => {
    const [t] = two()
    for (const id of ['r1', 'r2', 'r3', 'r4']) {
      await deploy(opts([t], source(id, { 'index.html': id }), { releaseId: id, keep: 2 }))
    }
    expect((await t.listReleases()).sort()).toEqual(['r3', 'r4'])
    expect(
      history(baseA())
        .releases.filter((r: { prunedAt?: string }) => r.prunedAt)
        .map((r: { id: string }) => r.id)
    ).toEqual(['r1', 'r2'])
  })
})

describe('ssh target: credentials', () => {
  test('the key is written 0600 under RUNNER_TEMP while in use and removed by close()', async () => {
    // One hosts input of two hosts: one key file shared by both targets.
    targets = makeSshTargets(
      {
        kind: 'ssh',
        path: baseA(),
        hosts: [a.host, b.host],
        sshKey: a.clientKey,
        knownHosts: `${a.knownHosts}\n${b.knownHosts}`
      },
      { log: () => undefined, warn: () => undefined, tempRoot: runnerTemp() }
    )
    const t = targets
    await t[0].init()
    await t[1].init()
    const dirs = readdirSync(runnerTemp()).filter((n) => n.startsWith('gantry-ssh-'))
    expect(dirs).toHaveLength(1)
    const key = join(runnerTemp(), dirs[0], 'id')
    expect(statSync(key).mode & 0o777).toBe(0o600)
    expect(readFileSync(key, 'utf8')).toBe(a.clientKey)
    expect(statSync(join(runnerTemp(), dirs[0])).mode & 0o777).toBe(0o700)
    await t[0].close()
    expect(existsSync(key)).toBe(true) // host B still uses it
    await t[1].close()
    expect(existsSync(key)).toBe(false)
    expect(readdirSync(runnerTemp())).toEqual([])
  })

  test('a host key that does not match known-hosts fails clearly, before anything is written', async () => {
    // b's key listed under a's address.
    const wrong = b.knownHosts.replace(/^\[127\.0\.0\.1\]:\d+/, `[127.0.0.1]:${a.port}`)
    const [t] = two(wrong)
    await expect(t.init()).rejects.toThrow(
      /cannot connect: .*(Host key verification failed|HOST IDENTIFICATION HAS CHANGED)/
    )
    expect(existsSync(baseA())).toBe(false)
    // A host missing from known-hosts is refused too (StrictHostKeyChecking=yes).
    const [t2] = two(b.knownHosts)
    await expect(t2.init()).rejects.toThrow(/cannot connect: .*Host key verification failed/)
  })

  test('insecure-accept connects to an unknown host, with a warning', async () => {
    const [t] = two('insecure-accept')
    await t.init()
    expect(existsSync(join(baseA(), 'releases'))).toBe(true)
    expect(warnings.join('\n')).toMatch(/insecure-accept.*host keys are not checked/)
  })

  test('a key the server does not accept fails clearly', async () => {
    const other = keygen(join(root, 'other'))
    targets = makeSshTargets(
      { kind: 'ssh', path: baseA(), hosts: [a.host], sshKey: other.priv, knownHosts: a.knownHosts },
      { log: () => undefined, warn: () => undefined, tempRoot: runnerTemp() }
    )
    await expect(targets[0].init()).rejects.toThrow(/cannot connect: .*Permission denied \(publickey\)/)
  })
})
