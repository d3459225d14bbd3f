// deploy-atomic through the committed bundle, on real temp dirs: deploys from a
// directory and a tarball, keep/prune, activate, tar slip, bad inputs, the lock.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { spawnSync, type ChildProcess } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tar from 'tar'
import { runAction } from '../harness/runner.mjs'
import { waitFor } from '../helpers/http.js'
import { writeFiles } from '../helpers/git-tree.js'

jest.setTimeout(90_000)

let root: string
let base: string

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-deploy-'))
  base = join(root, 'app')
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

const source = (name: string, files: Record<string, string>): string => writeFiles(join(root, name), files)

const history = () => JSON.parse(readFileSync(join(base, '.gantry', 'history.json'), 'utf8'))
const current = () => readlinkSync(join(base, 'current'))
const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)

describe('deploy-atomic (local)', () => {
  test('deploys a directory: outputs, current, summary table, JSON report', async () => {
    const src = source('v1', { 'index.html': 'v1', 'css/site.css': 'body{}' })
    const r = await runAction('deploy-atomic', { inputs: { source: src, path: base, environment: 'staging' } })
    expect(r.code).toBe(0)
    const id = r.outputs['release-id']
    expect(id).toMatch(/^\d{8}T\d{6}Z-0123456$/)
    expect(r.outputs).toMatchObject({ 'previous-release-id': '', 'release-path': join(base, 'releases', id) })
    expect(current()).toBe(`releases/${id}`)
    expect(readFileSync(join(base, 'current', 'css', 'site.css'), 'utf8')).toBe('body{}')
    expect(r.summary).toMatch(/### deploy-atomic: ✅ release .* is live/)
    expect(r.summary).toMatch(/\| Target \| Verdict \| Hard-linked \| Copied \|/)
    const report = JSON.parse(readFileSync(r.outputs.report, 'utf8'))
    expect(report).toMatchObject({
      schema: 1,
      action: 'deploy-atomic',
      ok: true,
      releaseId: id,
      environment: 'staging'
    })
    expect(report.targets[0].prepared).toMatchObject({ files: 2, copied: 2, linked: 0 })

    const r2 = await runAction('deploy-atomic', { inputs: { source: src, path: base, 'release-id': 'v2' } })
    expect(r2.code).toBe(0)
    expect(r2.outputs).toMatchObject({ 'release-id': 'v2', 'previous-release-id': id })
    expect(JSON.parse(readFileSync(r2.outputs.report, 'utf8')).targets[0].prepared).toMatchObject({
      linked: 2,
      copied: 0
    })
  })

  test('deploys a .tar.gz', async () => {
    const src = source('v1', { 'index.html': 'from tar', 'a/b/c.txt': 'deep' })
    const file = join(root, 'release.tar.gz')
    await tar.c({ gzip: true, file, cwd: src }, ['.'])
    const r = await runAction('deploy-atomic', { inputs: { source: file, path: base, 'release-id': 't1' } })
    expect(r.code).toBe(0)
    expect(readFileSync(join(base, 'current', 'a', 'b', 'c.txt'), 'utf8')).toBe('deep')
  })

  test('a tarball with links inside the release and shared paths', async () => {
    const src = source('t', { 'index.html': 'hi', 'storage/seed.txt': 'seed', 'lib/a.js': 'a' })
    symlinkSync('lib/a.js', join(src, 'a.js'))
    spawnSync('ln', [join(src, 'lib', 'a.js'), join(src, 'lib', 'hard.js')])
    const file = join(root, 'links.tar.gz')
    expect(spawnSync('tar', ['-czf', file, '-C', src, '.']).status).toBe(0)
    const r = await runAction('deploy-atomic', {
      inputs: { source: file, path: base, 'release-id': 'links', shared: 'storage\nvar/log' }
    })
    expect(r.code).toBe(0)
    expect(readlinkSync(join(base, 'current', 'a.js'))).toBe('lib/a.js')
    expect(readFileSync(join(base, 'current', 'lib', 'hard.js'), 'utf8')).toBe('a')
    expect(readlinkSync(join(base, 'releases', 'links', 'storage'))).toBe('../../shared/storage')
    expect(readFileSync(join(base, 'current', 'storage', 'seed.txt'), 'utf8')).toBe('seed')
    expect(existsSync(join(base, 'shared', 'var', 'log'))).toBe(true)
  })

  test('keep prunes old releases but never current or the newest good one', async () => {
    const src = source('v', { 'index.html': 'x' })
    for (const id of ['r1', 'r2', 'r3', 'r4']) {
      const r = await runAction('deploy-atomic', { inputs: { source: src, path: base, 'release-id': id, keep: 2 } })
      expect(r.code).toBe(0)
    }
    expect(existsSync(join(base, 'releases', 'r1'))).toBe(false)
    expect(existsSync(join(base, 'releases', 'r2'))).toBe(false)
    expect(existsSync(join(base, 'releases', 'r3'))).toBe(true)
    expect(current()).toBe('releases/r4')
    expect(
      history()
        .events.filter((e: { kind: string }) => e.kind === 'prune')
        .flatMap((e: { releases: string[] }) => e.releases)
    ).toEqual(['r1', 'r2'])
  })

  test('activate runs after the switch; when it fails, current is switched back and the release marked bad', async () => {
    const src = source('v', { 'index.html': 'x' })
    expect((await runAction('deploy-atomic', { inputs: { source: src, path: base, 'release-id': 'ok' } })).code).toBe(0)
    const r = await runAction('deploy-atomic', {
      inputs: { source: src, path: base, 'release-id': 'broken', activate: `sh -c 'echo migrating; exit 4'` }
    })
    expect(r.code).toBe(1)
    expect(errors(r)).toEqual([
      expect.stringMatching(/activate exited with code 4; switched back to ok, release broken marked bad/)
    ])
    expect(r.stdout).toContain('activate: migrating')
    expect(current()).toBe('releases/ok')
    expect(history().releases.find((x: { id: string }) => x.id === 'broken')).toMatchObject({ status: 'bad' })
    expect(r.summary).toMatch(/deploy failed/)
  })
})

describe('bad inputs: one line naming the input, before any side effect', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['keep', { keep: '0' }, /^Input 'keep' has invalid value '0': expected a whole number from 1 to 1000$/],
    ['release-id', { 'release-id': '../x' }, /^Input 'release-id' has invalid value '\.\.\/x': expected a release id/],
    [
      'shared',
      { shared: 'logs\n../etc' },
      /^Input 'shared' has invalid value 'logs\\n\.\.\/etc': expected relative paths/
    ],
    ['shared', { shared: '/var/log' }, /^Input 'shared' has invalid value '\/var\/log'/],
    ['activate', { activate: 'make deploy | tee log' }, /^Input 'activate' has invalid value .*'\|' needs a shell/],
    ['target', { target: 'ftp' }, /^Input 'target' has invalid value 'ftp': expected one of local, ssh$/],
    [
      'hosts',
      { hosts: 'not a host' },
      /^Input 'hosts' has invalid value 'not a host': expected user@host\[:port\] lines/
    ],
    [
      'github-deployment',
      { 'github-deployment': 'yes' },
      /^Input 'github-deployment' has invalid value 'yes': expected true or false$/
    ],
    [
      'source',
      { source: '/nonexistent/dir' },
      /^Input 'source' has invalid value '\/nonexistent\/dir': it does not exist/
    ],
    [
      'source',
      { source: '__FILE__' },
      /^Input 'source' has invalid value '.*notes\.txt': expected a directory or a \.tar\.gz file$/
    ],
    ['path', { path: '' }, /^Input 'path' is required: expected a file or directory path$/],
    ['token', { 'github-deployment': 'true' }, /^Input 'token' is required when github-deployment is true/]
  ]
  test.each(cases)('%s %j', async (_name, given, message) => {
    const src = source('v', { 'index.html': 'x' })
    writeFileSync(join(root, 'notes.txt'), 'not a tarball')
    const inputs: Record<string, string> = { source: src, path: base, ...given }
    if (inputs.source === '__FILE__') inputs.source = join(root, 'notes.txt')
    const r = await runAction('deploy-atomic', { inputs })
    expect(r.code).toBe(1)
    expect(errors(r)).toHaveLength(1)
    expect(errors(r)[0]).toMatch(message)
    expect(existsSync(base)).toBe(false)
  })
})

describe('tar slip', () => {
  function gnuTar(args: string[]): void {
    const r = spawnSync('tar', args, { cwd: root, encoding: 'utf8' })
    if (r.status !== 0) throw new Error(r.stderr)
  }

  test.each([
    [
      'a ../ entry',
      () => {
        source('inner', { 'index.html': 'x' })
        writeFileSync(join(root, 'outside.txt'), 'escaped')
        gnuTar(['-czPf', 'evil.tar.gz', '-C', 'inner', 'index.html', '../outside.txt'])
      },
      /entry '\.\.\/outside\.txt' contains '\.\.'/
    ],
    [
      'an absolute entry',
      () => {
        writeFileSync(join(root, 'abs.txt'), 'escaped')
        gnuTar(['-czPf', 'evil.tar.gz', join(root, 'abs.txt')])
      },
      /entry '\/.*abs\.txt' is an absolute path/
    ],
    [
      'a symlink out of the release',
      () => {
        const d = source('inner', { 'index.html': 'x' })
        symlinkSync('/etc', join(d, 'etc'))
        gnuTar(['-czf', 'evil.tar.gz', '-C', 'inner', '.'])
      },
      /entry '\.\/etc' is a symlink to '\/etc', outside the release/
    ]
  ])('%s is refused whole, nothing changes', async (_name, make, message) => {
    const good = source('good', { 'index.html': 'good' })
    expect(
      (await runAction('deploy-atomic', { inputs: { source: good, path: base, 'release-id': 'good' } })).code
    ).toBe(0)
    make()
    const r = await runAction('deploy-atomic', { inputs: { source: join(root, 'evil.tar.gz'), path: base } })
    expect(r.code).toBe(1)
    expect(errors(r)).toEqual([expect.stringMatching(message)])
    expect(errors(r)[0]).toMatch(/refused \(tar slip\)/)
    expect(current()).toBe('releases/good')
    expect(history().releases.map((x: { id: string }) => x.id)).toEqual(['good'])
    expect(existsSync(join(base, 'outside.txt'))).toBe(false)
  })
})

describe('the lock', () => {
  test('two deploys at once: the second waits for the first; history stays consistent', async () => {
    const a = source('a', { 'index.html': 'a' })
    const b = source('b', { 'index.html': 'b' })
    const gate = join(root, 'go')
    let bOut = ''
    // A holds the lock until the test lets its activate finish.
    const first = runAction('deploy-atomic', {
      inputs: {
        source: a,
        path: base,
        'release-id': 'A',
        activate: `sh -c 'while [ ! -e ${gate} ]; do sleep 0.02; done'`
      }
    })
    await waitFor(() => existsSync(join(base, 'current')), 30_000, 'A to switch')
    const second = runAction('deploy-atomic', {
      inputs: { source: b, path: base, 'release-id': 'B' },
      onSpawn: (c: ChildProcess) => c.stdout?.on('data', (d: Buffer) => (bOut += d.toString()))
    })
    await waitFor(() => bOut.includes('waiting for the lock held by run 4242 (deploy A)'), 30_000, 'B to wait')
    expect(current()).toBe('releases/A')
    writeFileSync(gate, '')
    const [ra, rb] = await Promise.all([first, second])
    expect([ra.code, rb.code]).toEqual([0, 0])
    expect(rb.outputs['previous-release-id']).toBe('A')
    expect(current()).toBe('releases/B')
    const h = history()
    expect(h.releases.map((x: { id: string }) => x.id)).toEqual(['A', 'B'])
    expect(h.events.map((e: { kind: string; to: string }) => `${e.kind}:${e.to}`)).toEqual(['deploy:A', 'deploy:B'])
  })

  test('a cancelled deploy (SIGTERM) gives the lock back on its way out', async () => {
    const a = source('a', { 'index.html': 'a' })
    const gate = join(root, 'go')
    let child: ChildProcess | undefined
    const first = runAction('deploy-atomic', {
      inputs: {
        source: a,
        path: base,
        'release-id': 'A',
        activate: `sh -c 'while [ ! -e ${gate} ]; do sleep 0.02; done'`
      },
      onSpawn: (c: ChildProcess) => (child = c)
    })
    await waitFor(() => existsSync(join(base, 'current')), 30_000, 'A to switch')
    expect(existsSync(join(base, '.gantry', 'lock'))).toBe(true)
    child!.kill('SIGTERM')
    const ra = await first
    writeFileSync(gate, '') // lets the orphaned activate command end
    expect(ra.code).toBe(128)
    expect(ra.stdout).toContain('SIGTERM: releasing the lock before exiting')
    expect(existsSync(join(base, '.gantry', 'lock'))).toBe(false)
    const rb = await runAction('deploy-atomic', {
      inputs: { source: source('b', { 'index.html': 'b' }), path: base, 'release-id': 'B' },
      env: { GANTRY_LOCK_WAIT: '1s' }
    })
    expect(rb.code).toBe(0)
    expect(rb.stdout).not.toContain('broke a stale lock')
    expect(current()).toBe('releases/B')
  })

  test('a live owner and a short wait: a clear failure naming the owner, nothing changed', async () => {
    const a = source('a', { 'index.html': 'a' })
    mkdirSync(join(base, '.gantry'), { recursive: true })
    const lock = {
      token: 'x',
      run: '1000',
      purpose: 'deploy',
      host: 'other-runner',
      pid: 1,
      acquiredAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 600_000).toISOString()
    }
    writeFileSync(join(base, '.gantry', 'lock'), JSON.stringify(lock))
    const r = await runAction('deploy-atomic', { inputs: { source: a, path: base }, env: { GANTRY_LOCK_WAIT: '1s' } })
    expect(r.code).toBe(1)
    expect(errors(r)).toEqual([
      expect.stringMatching(
        /another deploy holds the lock: run 1000 \(deploy\) on other-runner, pid 1, since .*; gave up after waiting 1 s/
      )
    ])
    expect(existsSync(join(base, 'current'))).toBe(false)
    expect(JSON.parse(readFileSync(join(base, '.gantry', 'lock'), 'utf8')).token).toBe('x')
  })

  test('a lock left by a dead process on this host is broken', async () => {
    const a = source('a', { 'index.html': 'a' })
    mkdirSync(join(base, '.gantry'), { recursive: true })
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' })
    const lock = {
      token: 'x',
      run: '999',
      purpose: 'deploy',
      host: hostname(),
      pid: Number(dead.stdout.trim()),
      acquiredAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 600_000).toISOString()
    }
    writeFileSync(join(base, '.gantry', 'lock'), JSON.stringify(lock))
    const r = await runAction('deploy-atomic', { inputs: { source: a, path: base } })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/broke a stale lock held by run 999 .* is gone/)
    expect(existsSync(join(base, '.gantry', 'lock'))).toBe(false)
  })
})
