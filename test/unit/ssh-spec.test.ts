// The ssh target's input checks (before any side effect) and its remote
// verification: the real SCAN script run here through sh, judged by
// verifyScan, must agree with the local target's verifyDir.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  buildManifest,
  checkSshSpec,
  checkTargets,
  parseHost,
  sharedLinkTarget,
  verifyDir,
  type Manifest,
  type TargetSpec,
  type TargetValues
} from '@gantry/release'
import { parseScan, verifyScan } from '../../packages/release/src/ssh/scan.js'
import { SshSession } from '../../packages/release/src/ssh/session.js'
import { SCAN } from '../../packages/release/src/ssh/scripts.js'

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n'
const KNOWN = '[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBase64'

const spec = (o: Partial<TargetSpec>): TargetSpec => ({
  kind: 'ssh',
  path: '/srv/app',
  hosts: ['deploy@web1:2222'],
  sshKey: KEY,
  knownHosts: KNOWN,
  ...o
})

const values = (o: Partial<TargetValues>): TargetValues => ({
  path: '/srv/app',
  target: 'ssh',
  hosts: ['deploy@web1:2222'],
  'ssh-key': KEY,
  'known-hosts': KNOWN,
  ...o
})

describe('ssh inputs', () => {
  test('parseHost: user@host[:port]', () => {
    expect(parseHost('deploy@web1.example.com:2222')).toMatchObject({
      user: 'deploy',
      host: 'web1.example.com',
      port: 2222
    })
    expect(parseHost('deploy@10.0.0.5')).toMatchObject({ port: 22, label: 'deploy@10.0.0.5' })
    for (const bad of ['web1', '@web1', 'deploy@', 'deploy@web1:0', 'deploy@web1:70000', 'a b@c', 'u@h:22:33']) {
      expect(() => parseHost(bad)).toThrow(/is not user@host\[:port\]/)
    }
  })

  test('a user or host that ssh or rsync would read as an option is refused', () => {
    for (const bad of ['-oProxyCommand@x', 'root@-oProxyCommand', '-F@host', 'root@-Fevil']) {
      expect(() => checkTargets(values({ hosts: [bad] }))).toThrow(/^Input 'hosts' has invalid value '/)
    }
  })

  test('each check names the input and the expected form; the key is never shown', () => {
    expect(() => checkSshSpec(spec({ hosts: [] }))).toThrow(
      "Input 'hosts' is required when target is ssh: expected user@host[:port] lines"
    )
    expect(() => checkSshSpec(spec({ hosts: ['a@h', 'a@h:22'] }))).toThrow(/Input 'hosts' lists 'a@h:22' twice/)
    expect(() => checkSshSpec(spec({ sshKey: undefined }))).toThrow(/^Input 'ssh-key' is required when target is ssh/)
    const secret = 'hunter2-not-a-key'
    let msg = ''
    try {
      checkSshSpec(spec({ sshKey: secret }))
    } catch (e) {
      msg = (e as Error).message
    }
    expect(msg).toMatch(/^Input 'ssh-key' has an invalid value \(not shown\): expected .*PRIVATE KEY/)
    expect(msg).not.toContain(secret)
    expect(() => checkSshSpec(spec({ knownHosts: '' }))).toThrow(
      /^Input 'known-hosts' is required when target is ssh: .*ssh-keyscan.*'insecure-accept'/
    )
    expect(() => checkSshSpec(spec({ knownHosts: 'just-a-host' }))).toThrow(
      /^Input 'known-hosts' has invalid value 'just-a-host': expected known_hosts lines/
    )
    expect(checkSshSpec(spec({ knownHosts: 'insecure-accept', hosts: ['a@h', 'b@h:2200'] }))).toHaveLength(2)
  })

  test('the checks write nothing', () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('gantry-ssh-')).length
    expect(() => checkTargets(values({ 'known-hosts': '' }))).toThrow()
    checkTargets(values({}))
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('gantry-ssh-')).length).toBe(before)
  })
})

describe('remote verification (SCAN + verifyScan) agrees with verifyDir', () => {
  let dir: string
  let manifest: Manifest
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-scan-'))
    mkdirSync(join(dir, 'assets', 'img'), { recursive: true })
    writeFileSync(join(dir, 'index.html'), 'hello')
    writeFileSync(join(dir, 'assets', 'app.js'), 'js')
    writeFileSync(join(dir, 'assets', 'img', 'a b\nc.png'), 'png')
    writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\n')
    chmodSync(join(dir, 'run.sh'), 0o755)
    symlinkSync('assets/app.js', join(dir, 'latest.js'))
    manifest = { ...buildManifest(dir), shared: ['storage'] }
    symlinkSync(sharedLinkTarget('storage'), join(dir, 'storage'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  const scan = (deep: boolean) => {
    const out = execFileSync('sh', ['-c', SCAN, 'gantry-verify', dir, '.', deep ? 'deep' : 'shallow'])
    return verifyScan(parseScan(out), manifest, deep)
  }
  const same = (deep: boolean) => {
    const local = verifyDir(dir, manifest, deep)
    const remote = scan(deep)
    expect(remote.ok).toBe(local.ok)
    expect(remote.checked).toBe(local.checked)
    expect([...remote.problems].sort()).toEqual([...local.problems].sort())
    return remote
  }

  test('an intact release verifies, deep and shallow', () => {
    expect(same(true)).toMatchObject({ ok: true, checked: 7 })
    expect(same(false).ok).toBe(true)
  })

  test('changed bytes, mode, link target, type, extra and missing entries are each reported', () => {
    writeFileSync(join(dir, 'index.html'), 'HELLO')
    chmodSync(join(dir, 'run.sh'), 0o644)
    unlinkSync(join(dir, 'latest.js'))
    symlinkSync('index.html', join(dir, 'latest.js'))
    rmSync(join(dir, 'assets', 'img'), { recursive: true })
    writeFileSync(join(dir, 'assets', 'img'), 'not a dir')
    writeFileSync(join(dir, 'extra.txt'), 'x')
    unlinkSync(join(dir, 'storage'))
    mkdirSync(join(dir, 'storage'))
    const deep = same(true)
    expect(deep.ok).toBe(false)
    expect(deep.problems).toEqual(
      expect.arrayContaining([
        'index.html: content differs (sha256 mismatch)',
        'run.sh: mode 644, expected 755',
        'latest.js: expected a symlink to assets/app.js',
        'assets/img: expected a directory',
        'extra.txt: not in the manifest',
        'storage: not a link into shared/',
        'assets/img/a b\nc.png: missing'
      ])
    )
    expect(same(false).problems).toContain('run.sh: mode differs')
  })

  test('a hostile file name cannot confuse the listing', () => {
    writeFileSync(join(dir, '81a4 5 1 evil'), 'x')
    writeFileSync(join(dir, 'x\n#links\n'), 'x')
    writeFileSync(join(dir, '#hashes'), 'x')
    writeFileSync(join(dir, '#links'), 'x')
    manifest = { ...buildManifest(dir, ['storage']), shared: ['storage'] }
    expect(same(true)).toMatchObject({ ok: true })
  })
})

describe('ssh session files and options', () => {
  let temp: string
  beforeEach(() => {
    temp = mkdtempSync(join(tmpdir(), 'gantry-session-'))
  })
  afterEach(() => rmSync(temp, { recursive: true, force: true }))

  test('key 0600 in a 0700 dir (CRLF and a missing final newline repaired), strict host keys, removed by the last user', () => {
    const warns: string[] = []
    const listeners = process.listenerCount('SIGTERM')
    const s = new SshSession({
      key: KEY.replace(/\n/g, '\r\n').trim(),
      knownHosts: KNOWN,
      tempRoot: temp,
      warn: (w) => warns.push(w)
    })
    expect(process.listenerCount('SIGTERM')).toBe(listeners + 1)
    expect(s.dir.startsWith(join(temp, 'gantry-ssh-'))).toBe(true)
    expect(statSync(s.dir).mode & 0o777).toBe(0o700)
    expect(statSync(s.keyFile).mode & 0o777).toBe(0o600)
    expect(readFileSync(s.keyFile, 'utf8')).toBe(KEY)
    const o = s.options().join(' ')
    expect(o).toContain('-o StrictHostKeyChecking=yes')
    expect(o).toContain(`-o UserKnownHostsFile=${join(s.dir, 'known_hosts')}`)
    expect(o).toMatch(/BatchMode=yes.*ConnectTimeout=\d+.*ServerAliveInterval=\d+/)
    expect(readFileSync(join(s.dir, 'known_hosts'), 'utf8')).toBe(KNOWN + '\n')
    expect(warns).toEqual([])
    s.acquire()
    s.acquire()
    s.release()
    expect(existsSync(s.keyFile)).toBe(true)
    s.release()
    expect(existsSync(s.dir)).toBe(false)
    expect(process.listenerCount('SIGTERM')).toBe(listeners)
  })

  test('insecure-accept: no host key checking, and a warning', () => {
    const warns: string[] = []
    const s = new SshSession({ key: KEY, knownHosts: 'insecure-accept', tempRoot: temp, warn: (w) => warns.push(w) })
    const o = s.options().join(' ')
    expect(o).toContain('-o StrictHostKeyChecking=no')
    expect(o).toContain('-o UserKnownHostsFile=/dev/null')
    expect(warns.join()).toMatch(/insecure-accept.*not checked/)
    s.acquire()
    s.release()
    expect(readdirSync(temp)).toEqual([])
  })

  test('a bad key writes nothing', () => {
    expect(() => new SshSession({ key: 'nope', knownHosts: KNOWN, tempRoot: temp, warn: () => undefined })).toThrow(
      /ssh-key/
    )
    expect(readdirSync(temp)).toEqual([])
  })
})

describe('hosts lines with a router server name', () => {
  test('name=user@host[:port]: the name, else the host part', async () => {
    const { parseHostLine, isHostLine, releaseFields } = await import('@gantry/release')
    expect(parseHostLine('web1=deploy@10.0.0.11')).toMatchObject({
      serverName: 'web1',
      named: true,
      user: 'deploy',
      host: '10.0.0.11',
      port: 22,
      label: 'deploy@10.0.0.11'
    })
    expect(parseHostLine(' web-2.a = deploy@h:2222 ')).toMatchObject({
      serverName: 'web-2.a',
      port: 2222,
      label: 'deploy@h:2222'
    })
    // A line without '=' reads as parseHost reads it, named after its host part.
    expect(parseHostLine('deploy@web1.example.com:2222')).toEqual({
      ...parseHost('deploy@web1.example.com:2222'),
      serverName: 'web1.example.com',
      named: false
    })
    for (const bad of ['=deploy@h', '-x=deploy@h', 'a b=deploy@h', 'web1=h', 'web1=deploy@h:0'])
      expect(() => parseHostLine(bad)).toThrow()
    expect(isHostLine('web1=deploy@h:22')).toBe(true)
    expect(isHostLine('deploy@h:22')).toBe(true)
    expect(isHostLine('web1=')).toBe(false)
    const field = releaseFields.hosts()
    expect(field.parse('web1=deploy@10.0.0.11\ndeploy@10.0.0.12\n')).toEqual([
      'web1=deploy@10.0.0.11',
      'deploy@10.0.0.12'
    ])
  })

  test('the ssh kind accepts named lines and puts the name on each target', async () => {
    const { makeSshTargets } = await import('@gantry/release')
    expect(checkSshSpec(spec({ hosts: ['web1=deploy@h:2222', 'deploy@h:2223'] })).map((h) => h.serverName)).toEqual([
      'web1',
      'h'
    ])
    // Lines without a name on one host (two ports) are as accepted as before.
    expect(checkSshSpec(spec({ hosts: ['a@h:2222', 'a@h:2223'] }))).toHaveLength(2)
    expect(() => checkTargets(values({ hosts: ['-x=deploy@h'] }))).toThrow(/^Input 'hosts' has invalid value '/)
    const targets = makeSshTargets(spec({ hosts: ['web1=deploy@10.0.0.11:2222', 'deploy@10.0.0.12'] }), {
      log: () => undefined,
      warn: () => undefined
    })
    try {
      expect(targets.map((t) => [t.name, t.serverName, t.hostAddress])).toEqual([
        ['deploy@10.0.0.11:2222:/srv/app', 'web1', '10.0.0.11'],
        ['deploy@10.0.0.12:/srv/app', '10.0.0.12', '10.0.0.12']
      ])
    } finally {
      for (const t of targets) await t.close()
    }
  })
})
