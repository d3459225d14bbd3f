// traffic's inputs as the action parses them (action.yml defaults filled in, as
// the runner does): every mistake is one line naming the input, before any side
// effect; and the command router end to end on this machine (history, previous).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InputError, parseInputs } from '@gantry/core'
import { checkTraffic, routerKinds, runTraffic, trafficInputs, trafficSecrets } from '@gantry/traffic'
import { loadActionYml } from '../harness/runner.mjs'

// Made here, not in beforeAll: the test.each tables below name paths in it.
const root = mkdtempSync(join(tmpdir(), 'gantry-traffic-inputs-'))
const socketPath = join(root, 'admin.sock')
let server: Server

beforeAll(async () => {
  server = createServer((s) => s.end('\n'))
  await new Promise<void>((r) => server.listen(socketPath, r))
})
afterAll(async () => {
  await new Promise((r) => server.close(r))
  rmSync(root, { recursive: true, force: true })
})

const meta = loadActionYml('traffic')

function parse(given: Record<string, string>) {
  const values: Record<string, string> = {}
  for (const [k, def] of Object.entries(meta.inputs ?? {})) values[k] = given[k] ?? def.default ?? ''
  return parseInputs('traffic', trafficInputs, { read: (n) => values[n] ?? '', secrets: trafficSecrets })
}

const nginx = () => ({
  router: 'nginx',
  upstream: 'app',
  servers: 'blue=127.0.0.1:3001\ngreen=127.0.0.1:3002',
  weights: 'green=10,blue=90',
  'router-config': join(root, 'gantry-app.conf'),
  path: join(root, 'app')
})

const haproxy = () => ({
  router: 'haproxy',
  upstream: 'app',
  servers: 'blue=blue\ngreen=green',
  weights: 'green',
  'router-socket': socketPath,
  path: join(root, 'app')
})

function fails(given: Record<string, string>): string {
  try {
    checkTraffic(parse(given))
  } catch (e) {
    expect(e).toBeInstanceOf(InputError)
    return (e as Error).message
  }
  throw new Error('no error')
}

describe('traffic inputs', () => {
  test('the router kinds are registered once, with their own inputs', () => {
    expect(routerKinds.names).toEqual(['nginx', 'haproxy', 'command'])
    expect(Object.keys(routerKinds.inputs)).toEqual([
      'router-config',
      'router-args',
      'router-socket',
      'router-state-file',
      'router-command'
    ])
    expect(trafficSecrets).toEqual(['ssh-key'])
  })

  test('good inputs parse; defaults are the action.yml ones', () => {
    const i = parse(nginx())
    checkTraffic(i)
    expect(i.weights).toEqual({ kind: 'set', weights: { green: 10, blue: 90 } })
    expect(i['drain-timeout']).toBe(30_000)
    expect(i.timeout).toBe(10_000)
    expect(i.verify).toBe(true)
    checkTraffic(parse(haproxy()))
  })

  test.each<[string, Record<string, string>, string | RegExp]>([
    [
      'unknown router',
      { router: 'traefik' },
      "Input 'router' has invalid value 'traefik': expected one of nginx, haproxy, command"
    ],
    [
      'weights not summing to 100',
      { weights: 'green=10,blue=80' },
      /^Input 'weights' has invalid value 'green=10,blue=80': .*these sum to 90$/
    ],
    [
      'a weight for a server not in servers',
      { weights: 'red' },
      /^Input 'weights' has invalid value 'red=100': 'red' is not in servers/
    ],
    [
      'a drain for a server not in servers',
      { weights: 'green', drain: 'red' },
      /^Input 'drain' has invalid value 'red': 'red' is not in servers/
    ],
    [
      'a drain of a server with traffic',
      { drain: 'blue' },
      /^Input 'drain' has invalid value 'blue': 'blue' keeps 90% of the traffic/
    ],
    ['router-config missing', { 'router-config': '' }, /^Input 'router-config' is required when router is nginx/],
    [
      'router-config in a missing directory',
      { 'router-config': join(root, 'nope', 'a.conf') },
      /^Input 'router-config' has invalid value '.*a\.conf': .*nope does not exist/
    ],
    [
      'another router’s input',
      { 'router-socket': '/run/x.sock' },
      "Input 'router-socket' has invalid value '/run/x.sock': it is for router 'haproxy', but router is 'nginx'; expected router: haproxy, or no router-socket"
    ],
    [
      'a server address nginx cannot take',
      { servers: 'blue=127.0.0.1:1;x\ngreen=b', weights: 'green' },
      /^Input 'servers' has invalid value 'blue=127\.0\.0\.1:1;x'/
    ],
    ['an upstream nginx cannot take', { upstream: 'app {' }, /^Input 'upstream' has invalid value 'app \{'/],
    [
      'router-host without a key',
      { 'router-host': 'deploy@lb1' },
      /^Input 'ssh-key' is required when router-host is given/
    ],
    [
      'router-host that is not user@host',
      { 'router-host': 'lb1' },
      /^Input 'router-host' has invalid value 'lb1': expected user@host\[:port\]/
    ],
    ['a missing servers', { servers: '' }, /^Input 'servers' is required: expected 'name=address' lines/],
    ['a missing path', { path: '' }, /^Input 'path' is required/]
  ])('nginx: %s', (_what, given, message) => {
    const m = fails({ ...nginx(), ...given })
    if (typeof message === 'string') expect(m).toBe(message)
    else expect(m).toMatch(message)
    expect(m).not.toContain('\n')
  })

  test.each<[string, Record<string, string>, string | RegExp]>([
    ['router-socket missing', { 'router-socket': '' }, /^Input 'router-socket' is required when router is haproxy/],
    [
      'a socket path that does not exist',
      { 'router-socket': join(root, 'nope.sock') },
      /^Input 'router-socket' has invalid value '.*nope\.sock': it does not exist/
    ],
    ['a socket path that is not a socket', { 'router-socket': root }, /it is not a socket/],
    [
      'a socket that is neither a path nor host:port',
      { 'router-socket': 'admin' },
      /^Input 'router-socket' has invalid value 'admin': expected a unix socket path/
    ],
    [
      'a state file in a missing directory',
      { 'router-state-file': join(root, 'nope', 'state') },
      /^Input 'router-state-file' has invalid value/
    ],
    [
      'a server name with a slash',
      { servers: 'blue=app/blue\ngreen=green' },
      /^Input 'servers' has invalid value 'blue=app\/blue'/
    ]
  ])('haproxy: %s', (_what, given, message) => {
    const m = fails({ ...haproxy(), ...given })
    if (typeof message === 'string') expect(m).toBe(message)
    else expect(m).toMatch(message)
  })

  test('command: router-command is required, split like activate, no shell', () => {
    const base = {
      router: 'command',
      upstream: 'lb',
      servers: 'blue=10.0.0.1\ngreen=10.0.0.2',
      weights: 'green',
      path: root
    }
    expect(fails(base)).toMatch(/^Input 'router-command' is required when router is command/)
    expect(() => parse({ ...base, 'router-command': 'lb-set | tee x' })).toThrow(/router-command runs without one/)
    expect(parse({ ...base, 'router-command': `lb-set --name 'my lb'` })['router-command']).toEqual([
      'lb-set',
      '--name',
      'my lb'
    ])
  })

  test('the ssh key is never echoed', () => {
    expect(() => parse({ ...nginx(), 'router-host': 'deploy@lb1', 'ssh-key': 'sekrit', timeout: '0' })).toThrow(
      /^Input 'timeout' has invalid value '0'/
    )
    const m = fails({ ...nginx(), 'router-host': 'deploy@lb1', 'ssh-key': 'sekrit', 'known-hosts': 'insecure-accept' })
    expect(m).not.toContain('sekrit')
  })
})

describe('router: command on this machine', () => {
  const logs: string[] = []
  const o = {
    log: (l: string) => logs.push(l),
    warn: (l: string) => logs.push(`warn: ${l}`),
    progress: () => undefined
  }

  test('gets the weights as JSON on stdin; its printed weights are the read-back; previous toggles', async () => {
    const got = join(root, 'got.json')
    const script = join(root, 'lb.mjs')
    writeFileSync(
      script,
      `import { readFileSync, writeFileSync } from 'node:fs'
const input = JSON.parse(readFileSync(0, 'utf8'))
writeFileSync(${JSON.stringify(got)}, JSON.stringify(input))
console.log(JSON.stringify({ weights: input.weights }))`
    )
    const path = join(root, 'cmd-app')
    const base = {
      router: 'command',
      upstream: 'lb',
      servers: 'blue=10.0.0.1\ngreen=10.0.0.2',
      'router-command': `${process.execPath} ${script}`,
      path
    }
    const a = await runTraffic(parse({ ...base, weights: 'blue', reason: 'first' }), o)
    expect(a.verified).toBe(true)
    expect(JSON.parse(readFileSync(got, 'utf8'))).toEqual({
      upstream: 'lb',
      weights: { blue: 100, green: 0 },
      drain: [],
      servers: { blue: '10.0.0.1', green: '10.0.0.2' }
    })
    await runTraffic(parse({ ...base, weights: 'green', drain: 'blue' }), o)
    expect(JSON.parse(readFileSync(got, 'utf8')).drain).toEqual(['blue'])
    const p1 = await runTraffic(parse({ ...base, weights: 'previous' }), o)
    expect(p1.weights).toEqual({ blue: 100, green: 0 })
    expect(p1.previous).toEqual({ blue: 0, green: 100 })
    const p2 = await runTraffic(parse({ ...base, weights: 'previous', reason: 'again' }), o)
    expect(p2.weights).toEqual({ blue: 0, green: 100 })
    const h = JSON.parse(readFileSync(join(path, '.gantry', 'traffic.json'), 'utf8'))
    expect(h.changes.map((c: { reason?: string }) => c.reason)).toEqual([
      'first',
      undefined,
      'weights: previous',
      'weights: previous; again'
    ])
    // Only .gantry is made at path.
    expect(existsSync(join(path, 'releases'))).toBe(false)
  })

  test('a failing command fails with its stderr’s last line; nothing is recorded', async () => {
    const script = join(root, 'fail.sh')
    writeFileSync(script, '#!/bin/sh\ncat >/dev/null\necho "starting" >&2\necho "lb: access denied" >&2\nexit 3\n')
    chmodSync(script, 0o755)
    const path = join(root, 'fail-app')
    const i = parse({
      router: 'command',
      upstream: 'lb',
      servers: 'blue=a\ngreen=b',
      weights: 'green',
      'router-command': script,
      path
    })
    await expect(runTraffic(i, o)).rejects.toThrow(`router-command ${script} exited with 3: lb: access denied`)
    expect(existsSync(join(path, '.gantry', 'traffic.json'))).toBe(false)
  })

  test('two changes at once take the lock of path in turn: both are recorded', async () => {
    const path = join(root, 'locked-app')
    const base = {
      router: 'command',
      upstream: 'lb',
      servers: 'blue=a\ngreen=b',
      'router-command': `${process.execPath} -e "setTimeout(() => {}, 300)"`,
      path,
      verify: 'false'
    }
    await Promise.all([
      runTraffic(parse({ ...base, weights: 'blue', reason: 'one' }), o),
      runTraffic(parse({ ...base, weights: 'green', reason: 'two' }), o)
    ])
    const h = JSON.parse(readFileSync(join(path, '.gantry', 'traffic.json'), 'utf8'))
    expect(h.changes.map((c: { reason: string }) => c.reason).sort()).toEqual(['one', 'two'])
    // The second saw the first's weights as its previous ones.
    expect(h.changes[1].previous).toEqual(h.changes[0].weights)
    expect(existsSync(join(path, '.gantry', 'lock'))).toBe(false)
  })

  test('one path, two upstreams: previous is the upstream’s own', async () => {
    const path = join(root, 'two-upstreams')
    const base = { router: 'command', servers: 'blue=a\ngreen=b', 'router-command': 'true', path, verify: 'false' }
    await runTraffic(parse({ ...base, upstream: 'web', weights: 'blue' }), o)
    await runTraffic(parse({ ...base, upstream: 'web', weights: 'green' }), o)
    await runTraffic(parse({ ...base, upstream: 'api', weights: 'blue=50,green=50' }), o)
    const back = await runTraffic(parse({ ...base, upstream: 'web', weights: 'previous' }), o)
    expect(back.weights).toEqual({ blue: 100, green: 0 })
    expect(back.previous).toEqual({ blue: 0, green: 100 })
  })

  test('weights: previous with no history is an input error', async () => {
    const i = parse({
      router: 'command',
      upstream: 'lb',
      servers: 'blue=a\ngreen=b',
      weights: 'previous',
      'router-command': 'true',
      path: join(root, 'empty')
    })
    await expect(runTraffic(i, o)).rejects.toThrow(
      /^Input 'weights' has invalid value 'previous': .* has no recorded change/
    )
  })
})
