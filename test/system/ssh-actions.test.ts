// deploy-atomic and auto-rollback with `target: ssh`, through the committed
// bundles as the runner runs them, against two sshd servers from Debian on
// 127.0.0.1 standing in for two hosts (each with its own login directory, so
// the relative `path: app` is a different tree on each).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync, type ChildProcess } from 'node:child_process'
import { runAction, type RunOptions, type RunResult } from '../harness/runner.mjs'
import { waitFor } from '../helpers/http.js'
import { freeze, keygen, startSshd, thaw, type Sshd } from '../helpers/sshd.js'
import { writeFiles } from '../helpers/git-tree.js'

jest.setTimeout(240_000)

let root: string
let homeA: string
let homeB: string
let a: Sshd
let b: Sshd
let key: string
let work: string

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gantry-ssh-actions-'))
  homeA = join(root, 'hostA')
  homeB = join(root, 'hostB')
  mkdirSync(homeA)
  mkdirSync(homeB)
  const client = keygen(join(root, 'client'))
  key = client.priv
  a = await startSshd({ client, home: homeA })
  b = await startSshd({ client, home: homeB })
}, 60_000)

afterAll(async () => {
  await a?.stop()
  await b?.stop()
  for (const h of [homeA, homeB]) thaw(join(h, 'app'))
  rmSync(root, { recursive: true, force: true })
})

beforeEach(() => {
  work = mkdtempSync(join(root, 'run-'))
})
afterEach(() => rmSync(work, { recursive: true, force: true }))

const source = (name: string, files: Record<string, string>): string => writeFiles(join(work, name), files)

const target = (knownHosts = `${a.knownHosts}\n${b.knownHosts}`, hosts = `${a.host}\n${b.host}`) => ({
  path: 'app',
  target: 'ssh',
  hosts,
  'ssh-key': key,
  'known-hosts': knownHosts
})

/** Runs an action with its own RUNNER_TEMP, so we can look for the key afterwards. */
async function run(
  name: string,
  inputs: Record<string, string>,
  o: Partial<RunOptions> & { runnerTemp?: string } = {}
): Promise<RunResult & { runnerTemp: string }> {
  const runnerTemp = o.runnerTemp ?? join(work, `temp-${name}-${Math.random().toString(36).slice(2)}`)
  const r = await runAction(name, {
    inputs,
    runnerTemp,
    timeoutMs: 180_000,
    env: { GANTRY_LOCK_WAIT: '5s' },
    // Tests of a fresh bundle built elsewhere (npm run bundle with GANTRY_DIST_DIR); by default the committed dist/.
    distRoot: process.env.GANTRY_DIST_DIR || undefined,
    ...o
  })
  return { ...r, runnerTemp }
}

/** No gantry-ssh-* directory (key, known_hosts, control socket) is left in RUNNER_TEMP. */
function keyGone(r: { runnerTemp: string }): void {
  const left = existsSync(r.runnerTemp) ? readdirSync(r.runnerTemp).filter((n) => n.startsWith('gantry-ssh-')) : []
  expect(left).toEqual([])
}

/** ssh connection masters a run started (their command line names the key under its RUNNER_TEMP). */
function mastersOf(r: { runnerTemp: string }): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes('ControlMaster=yes') && l.includes(`${r.runnerTemp}/`))
}

/** No shared connection outlives the step (a master would stay logged in for its ControlPersist time). */
async function connectionsGone(r: { runnerTemp: string }): Promise<void> {
  await waitFor(() => mastersOf(r).length === 0, 5_000, 'the ssh masters to exit').catch(() => undefined)
  expect(mastersOf(r)).toEqual([])
}

const errors = (r: RunResult) => r.annotations.filter((x) => x.level === 'error').map((x) => x.message)
const warnings = (r: RunResult) => r.annotations.filter((x) => x.level === 'warning').map((x) => x.message)
const current = (home: string) => readlinkSync(join(home, 'app', 'current'))
const history = (home: string) => JSON.parse(readFileSync(join(home, 'app', '.gantry', 'history.json'), 'utf8'))
const keyBody = () => key.split('\n').filter((l) => l && !l.startsWith('-----'))

describe('deploy-atomic + auto-rollback, target: ssh, two hosts', () => {
  test('deploy to both, redeploy with hard links, roll both back; the key never outlives the step', async () => {
    const files: Record<string, string> = { 'index.html': 'v1' }
    for (let i = 0; i < 30; i++) files[`assets/${i}.js`] = `asset ${i}`
    const d1 = await run('deploy-atomic', {
      ...target(),
      source: source('v1', files),
      'release-id': 'v1',
      // Beside the releases: a file inside one would fail its verification later.
      activate: 'sh -c \'printf "%s %s" "$GANTRY_RELEASE_PATH" "$PWD" > ../../activated\''
    })
    expect({ code: d1.code, errors: errors(d1) }).toEqual({ code: 0, errors: [] })
    expect(d1.outputs).toMatchObject({
      'release-id': 'v1',
      'previous-release-id': '',
      // The relative path as the first host resolved it (its login directory).
      'release-path': join(homeA, 'app', 'releases', 'v1')
    })
    for (const home of [homeA, homeB]) {
      expect(current(home)).toBe('releases/v1')
      expect(readFileSync(join(home, 'app', 'current', 'index.html'), 'utf8')).toBe('v1')
      // activate ran on each host, in the release, and saw its absolute path.
      const rel = join(home, 'app', 'releases', 'v1')
      expect(readFileSync(join(home, 'app', 'activated'), 'utf8')).toBe(`${rel} ${rel}`)
    }
    expect(d1.summary).toContain(`${a.host}:app`)
    expect(d1.summary).toContain(`${b.host}:app`)
    keyGone(d1)
    await connectionsGone(d1)

    const d2 = await run('deploy-atomic', {
      ...target(),
      source: source('v2', { ...files, 'index.html': 'v2' }),
      'release-id': 'v2'
    })
    expect({ code: d2.code, errors: errors(d2) }).toEqual({ code: 0, errors: [] })
    expect(d2.outputs['previous-release-id']).toBe('v1')
    const report = JSON.parse(readFileSync(d2.outputs.report, 'utf8'))
    expect(report.targets.map((t: { prepared: { linked: number; copied: number } }) => t.prepared)).toEqual([
      expect.objectContaining({ linked: 30, copied: 1 }),
      expect.objectContaining({ linked: 30, copied: 1 })
    ])
    for (const home of [homeA, homeB]) expect(current(home)).toBe('releases/v2')
    keyGone(d2)

    const rb = await run('auto-rollback', { ...target(), reason: 'smoke test failed' })
    // The only error is the one that reports the rollback as a failed deployment.
    expect({ code: rb.code, errors: errors(rb) }).toEqual({
      code: 0,
      errors: ['Deployment failed: rolled back from v2 to v1: smoke test failed']
    })
    expect(rb.outputs).toMatchObject({ 'rolled-back': 'true', from: 'v2', to: 'v1', reason: 'smoke test failed' })
    expect(Number(rb.outputs.duration)).toBeGreaterThan(0)
    for (const home of [homeA, homeB]) {
      expect(current(home)).toBe('releases/v1')
      const v2 = history(home).releases.find((r: { id: string }) => r.id === 'v2')
      expect(v2).toMatchObject({ status: 'bad', bad: { reason: 'smoke test failed', actor: 'octocat', run: '4242' } })
    }
    keyGone(rb)

    // The key is masked line by line and appears in no file the step wrote.
    for (const r of [d1, d2, rb]) {
      for (const line of keyBody()) {
        expect(r.stdout).toContain(`::add-mask::${line}`)
        expect(r.summary).not.toContain(line)
        expect(readFileSync(r.outputs.report, 'utf8')).not.toContain(line)
      }
    }
  })

  test('a switch failure on one host switches every host back and fails the step', async () => {
    const before = current(homeA).replace('releases/', '')
    expect(current(homeB)).toBe(`releases/${before}`)
    // Host B's <path> becomes immutable after the upload's directories exist: the
    // new release is written (under releases/), but `current` cannot be replaced.
    freeze(join(homeB, 'app'))
    let r: RunResult & { runnerTemp: string }
    try {
      r = await run('deploy-atomic', { ...target(), source: source('v3', { 'index.html': 'v3' }), 'release-id': 'v3' })
    } finally {
      thaw(join(homeB, 'app'))
    }
    expect(r.code).toBe(1)
    const msg = errors(r).join('\n')
    expect(msg).toMatch(
      new RegExp(
        `${b.host.replace(/\./g, '\\.')}:app: switch to v3 failed: .*(Operation not permitted|Permission denied)`
      )
    )
    expect(msg).toMatch(new RegExp(`switched back: ${a.host.replace(/\./g, '\\.')}:app -> ${before}`))
    for (const home of [homeA, homeB]) {
      expect(existsSync(join(home, 'app', 'releases', 'v3', 'index.html'))).toBe(true)
      expect(current(home)).toBe(`releases/${before}`)
      expect(existsSync(join(home, 'app', '.gantry', 'lock'))).toBe(false)
    }
    keyGone(r)
  })

  test('a host key that does not match known-hosts fails clearly and changes nothing', async () => {
    const stamp = (home: string) => readFileSync(join(home, 'app', '.gantry', 'history.json'), 'utf8')
    const beforeA = stamp(homeA)
    // Host B's key listed under host A's address.
    const wrong = `${b.knownHosts.replace(/^\[127\.0\.0\.1\]:\d+/, `[127.0.0.1]:${a.port}`)}\n${b.knownHosts}`
    const r = await run('deploy-atomic', { ...target(wrong), source: source('v4', { 'index.html': 'v4' }) })
    expect(r.code).toBe(1)
    expect(errors(r).join('\n')).toMatch(
      /127\.0\.0\.1:\d+:app: cannot connect: .*(Host key verification failed|HOST IDENTIFICATION)/
    )
    expect(stamp(homeA)).toBe(beforeA)
    keyGone(r)
  })

  test('insecure-accept connects without known host keys, with a warning', async () => {
    const r = await run('auto-rollback', { ...target('insecure-accept'), to: 'v2', reason: 'manual' })
    expect(r.code).toBe(1) // v2 is marked bad: refused, nothing changed; but it got there over ssh
    expect(errors(r).join('\n')).toMatch(
      /release 'v2' is marked bad on .*refusing to roll back onto it; nothing changed/
    )
    expect(warnings(r).join('\n')).toMatch(/insecure-accept.*host keys are not checked/)
    keyGone(r)
  })

  test('bad ssh inputs fail before any side effect, naming the input', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ 'known-hosts': '' }, /Input 'known-hosts' is required when target is ssh/],
      [{ hosts: '' }, /Input 'hosts' is required when target is ssh/],
      [{ hosts: 'root@-oProxyCommand' }, /Input 'hosts' has invalid value/],
      [{ 'ssh-key': 'not a key' }, /Input 'ssh-key' has an invalid value \(not shown\)/]
    ]
    for (const [inputs, message] of cases) {
      const r = await run('deploy-atomic', { ...target(), ...inputs, source: source('v5', { 'index.html': 'v5' }) })
      expect(r.code).toBe(1)
      expect(errors(r).join('\n')).toMatch(message)
      // Only the mask command itself may carry the value.
      expect((r.stdout + r.stderr).replace(/^::add-mask::.*$/gm, '')).not.toContain('not a key')
      keyGone(r)
    }
    expect(current(homeA)).toBe(current(homeB))
  })

  test('a cancelled run (SIGTERM while it waits for a lock) leaves no key behind', async () => {
    const lockFile = join(homeA, 'app', '.gantry', 'lock')
    // A live owner on this machine holds host A's lock, so the deploy waits.
    writeFileSync(
      lockFile,
      JSON.stringify({
        token: 'someone-else',
        purpose: 'deploy',
        host: hostname(),
        pid: process.pid,
        acquiredAt: new Date().toISOString(),
        expiresAt: new Date(Date.now() + 600_000).toISOString()
      })
    )
    const runnerTemp = join(work, 'temp-cancel')
    let child: ChildProcess | undefined
    let out = ''
    const running = run(
      'deploy-atomic',
      { ...target(), source: source('v6', { 'index.html': 'v6' }) },
      {
        runnerTemp,
        env: { GANTRY_LOCK_WAIT: '120s' },
        onSpawn: (c) => {
          child = c
          c.stdout?.on('data', (d: Buffer) => (out += d.toString()))
        }
      }
    )
    try {
      await waitFor(() => /waiting for the lock held by/.test(out), 60_000, 'the deploy to wait for the lock')
      expect(readdirSync(runnerTemp).filter((n) => n.startsWith('gantry-ssh-'))).toHaveLength(1)
      child!.kill('SIGTERM')
      const r = await running
      expect(r.code).not.toBe(0)
      keyGone(r)
      await connectionsGone(r)
    } finally {
      rmSync(lockFile, { force: true })
    }
    expect(current(homeA)).toBe(current(homeB))
  })

  test('a job cancelled while it holds the locks (SIGTERM during activate) gives them back, then removes the key', async () => {
    const runnerTemp = join(work, 'temp-cancel-activate')
    let child: ChildProcess | undefined
    let out = ''
    const running = run(
      'deploy-atomic',
      { ...target(), source: source('v7', { 'index.html': 'v7' }), 'release-id': 'v7', activate: 'sleep 20' },
      {
        runnerTemp,
        onSpawn: (c) => {
          child = c
          c.stdout?.on('data', (d: Buffer) => (out += d.toString()))
        }
      }
    )
    await waitFor(() => /activate: sleep 20/.test(out), 60_000, 'activate to start')
    for (const home of [homeA, homeB]) expect(existsSync(join(home, 'app', '.gantry', 'lock'))).toBe(true)
    child!.kill('SIGTERM')
    const r = await running
    expect(r.code).not.toBe(0)
    expect(r.stdout).toMatch(/SIGTERM: releasing the lock/)
    // The lock went back over ssh (which needs the key), and only then the key went.
    for (const home of [homeA, homeB]) {
      expect(existsSync(join(home, 'app', '.gantry', 'lock'))).toBe(false)
      // Switched before activate: v7 serves; crash-safe either way.
      expect(current(home)).toBe('releases/v7')
    }
    keyGone(r)
    await connectionsGone(r)
  })
})
