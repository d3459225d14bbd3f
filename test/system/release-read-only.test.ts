// Read-only directories inside releases (issue 14), with the deploy-atomic bundle
// run by a non-root user this test creates (root ignores file modes, so as root
// none of this would prove anything): pruning and the clean-up of what a crash
// left make directories writable before removing, on the local and the ssh
// target, and a removal that still fails never fails a deploy whose switch
// succeeded. Needs root (useradd, chown) and Debian's sshd/rsync.
import { afterAll, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals'
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction, type RunResult } from '../harness/runner.mjs'
import { keygen, startSshd, type Sshd } from '../helpers/sshd.js'
import { createUser, type TestUser } from '../helpers/test-user.js'
import { writeFiles } from '../helpers/git-tree.js'

jest.setTimeout(240_000)

let user: TestUser
let root: string
let sshd: Sshd
let key: string
let n = 0

beforeAll(async () => {
  user = createUser()
  root = mkdtempSync(join(tmpdir(), 'gantry-read-only-'))
  chmodSync(root, 0o755)
  const client = keygen(join(root, 'client'))
  key = client.priv
  sshd = await startSshd({ client })
  // sshd reads authorized_keys as the user logging in.
  chmodSync(sshd.dir, 0o755)
}, 60_000)

afterAll(async () => {
  await sshd?.stop()
  // As root: the modes below do not stop rm.
  if (root) rmSync(root, { recursive: true, force: true })
  user?.remove()
})

let work: string
beforeEach(() => {
  work = join(root, `t${++n}`)
  mkdirSync(work)
  chmodSync(work, 0o755)
})

/** A source with a read-only directory holding files (a vendored package, say). */
function source(name: string, text: string): string {
  const d = writeFiles(join(work, name), { 'index.html': text, 'vendor/lib/a.js': 'a', 'vendor/lib/b.js': text })
  chmodSync(join(d, 'vendor', 'lib'), 0o555)
  chmodSync(join(d, 'vendor'), 0o555)
  return d
}

const errors = (r: RunResult) => r.annotations.filter((a) => a.level === 'error').map((a) => a.message)
const warnings = (r: RunResult) => r.annotations.filter((a) => a.level === 'warning').map((a) => a.message)

async function asUser(inputs: Record<string, string | number>): Promise<RunResult> {
  const tempDir = mkdtempSync(join(work, 'step-'))
  return runAction('deploy-atomic', {
    inputs,
    tempDir,
    user: { uid: user.uid, gid: user.gid },
    env: { HOME: tempDir, GANTRY_LOCK_WAIT: '5s' },
    timeoutMs: 120_000
  })
}

describe('local target, as a non-root user', () => {
  test('keep prunes releases with read-only directories; a crash partial with one is cleaned', async () => {
    const base = join(work, 'app')
    mkdirSync(base)
    chownSync(base, user.uid, user.gid)
    for (const id of ['r1', 'r2', 'r3']) {
      const src = source(id, id)
      user.own(src)
      const r = await asUser({ source: src, path: base, 'release-id': id, keep: 2 })
      expect({ id, errors: errors(r), warnings: warnings(r) }).toEqual({ id, errors: [], warnings: [] })
      expect(r.code).toBe(0)
    }
    expect(readdirSync(join(base, 'releases')).sort()).toEqual(['r2', 'r3'])
    expect(readlinkSync(join(base, 'current'))).toBe('releases/r3')

    // What a crash after the directory modes were set leaves behind.
    const partial = join(base, 'releases', '.partial-r4-0badf00d')
    writeFiles(partial, { 'vendor/lib/a.js': 'a' })
    chmodSync(join(partial, 'vendor', 'lib'), 0o555)
    chmodSync(join(partial, 'vendor'), 0o555)
    chmodSync(partial, 0o555)
    user.own(partial)
    const src = source('r4', 'r4')
    user.own(src)
    const r = await asUser({ source: src, path: base, 'release-id': 'r4', keep: 2 })
    expect(errors(r)).toEqual([])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('removed what an interrupted run left: releases/.partial-r4-0badf00d')
    expect(readdirSync(join(base, 'releases')).sort()).toEqual(['r3', 'r4'])
  })

  test('a release the user cannot remove (a root-owned directory inside): warned, the deploy stands', async () => {
    const base = join(work, 'app')
    mkdirSync(base)
    chownSync(base, user.uid, user.gid)
    const deployAs = async (id: string, keep: number) => {
      const src = source(id, id)
      user.own(src)
      return asUser({ source: src, path: base, 'release-id': id, keep })
    }
    for (const id of ['r1', 'r2']) expect((await deployAs(id, 5)).code).toBe(0)
    // Someone put a root-owned directory into r1 on the server.
    const stuck = join(base, 'releases', 'r1', 'cache')
    writeFiles(stuck, { 'x.bin': 'x' })
    // keep 1: r3 is current, r2 the rollback target; r1 goes.
    const r = await deployAs('r3', 1)
    expect(errors(r)).toEqual([])
    expect(r.code).toBe(0)
    expect(warnings(r)).toEqual([
      expect.stringMatching(
        /^local:.*: could not remove release r1 while pruning \(.*\); release r3 is live; remove it by hand$/
      )
    ])
    expect(r.outputs['release-id']).toBe('r3')
    expect(readlinkSync(join(base, 'current'))).toBe('releases/r3')
    expect(readFileSync(join(base, 'current', 'index.html'), 'utf8')).toBe('r3')
    // Moved aside whole before its removal failed: never half a release under its name.
    expect(existsSync(join(base, 'releases', 'r1'))).toBe(false)
    const aside = () => readdirSync(join(base, 'releases')).filter((x) => x.startsWith('.partial-removing-r1-'))
    expect(aside()).toHaveLength(1)
    // The next deploy is not blocked by what is left: it tries again and warns again.
    const r4 = await deployAs('r4', 1)
    expect(errors(r4)).toEqual([])
    expect(r4.code).toBe(0)
    expect(warnings(r4)).toEqual([
      expect.stringMatching(
        /could not remove what an interrupted run left: releases\/\.partial-removing-r1-.*; remove it by hand$/
      )
    ])
    expect(
      readdirSync(join(base, 'releases'))
        .filter((x) => !x.startsWith('.'))
        .sort()
    ).toEqual(['r3', 'r4'])
    expect(aside()).toHaveLength(1)
  })
})

describe('ssh target, logged in as a non-root user', () => {
  test('keep prunes releases with read-only directories; a crash partial with one is cleaned', async () => {
    const base = join(work, 'app')
    mkdirSync(base)
    chownSync(base, user.uid, user.gid)
    const inputs = (id: string) => ({
      source: source(id, id),
      path: base,
      'release-id': id,
      keep: 2,
      target: 'ssh',
      hosts: `${user.name}@127.0.0.1:${sshd.port}`,
      'ssh-key': key,
      'known-hosts': sshd.knownHosts
    })
    const run = (id: string) =>
      runAction('deploy-atomic', {
        inputs: inputs(id),
        runnerTemp: mkdtempSync(join(work, 'temp-')),
        env: { GANTRY_LOCK_WAIT: '5s' },
        timeoutMs: 120_000
      })
    for (const id of ['r1', 'r2', 'r3']) {
      const r = await run(id)
      expect({ id, errors: errors(r), warnings: warnings(r) }).toEqual({ id, errors: [], warnings: [] })
      expect(r.code).toBe(0)
    }
    expect(readdirSync(join(base, 'releases')).sort()).toEqual(['r2', 'r3'])
    // rsync kept the read-only modes on the host: the removal had to lift them.
    expect(readFileSync(join(base, 'current', 'vendor', 'lib', 'b.js'), 'utf8')).toBe('r3')

    const partial = join(base, 'releases', '.partial-r4-0badf00d')
    writeFiles(partial, { 'vendor/lib/a.js': 'a' })
    chmodSync(join(partial, 'vendor', 'lib'), 0o555)
    chmodSync(join(partial, 'vendor'), 0o555)
    chmodSync(partial, 0o555)
    user.own(partial)
    const r = await run('r4')
    expect(errors(r)).toEqual([])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('releases/.partial-r4-0badf00d')
    expect(readdirSync(join(base, 'releases')).sort()).toEqual(['r3', 'r4'])
  })
})
