// The traffic action's bundle with router-host: nginx and HAProxy reached over
// ssh (sshd from Debian on 127.0.0.1 standing in for the router's machine; the
// routers run on this machine, so the test can look at them directly).
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { askSocket, parseServersState, renderUpstream } from '@gantry/traffic'
import { runAction } from '../harness/runner.mjs'
import { startNginx, type Nginx } from '../helpers/nginx.js'
import { startSshd, type Sshd } from '../helpers/sshd.js'
import { startApp, startHaproxy, type App, type Haproxy } from '../helpers/traffic.js'

jest.setTimeout(120_000)

let root: string
let sshd: Sshd
let blue: App
let green: App
let nginx: Nginx
let haproxy: Haproxy
let include: string

const ssh = () => ({ 'router-host': sshd.host, 'ssh-key': sshd.clientKey, 'known-hosts': sshd.knownHosts })

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gantry-traffic-ssh-'))
  sshd = await startSshd()
  blue = await startApp(root, 'blue')
  green = await startApp(root, 'green')
  include = join(root, 'gantry-app.conf')
  writeFileSync(include, renderUpstream('app', [{ name: 'blue', address: blue.address }], { blue: 100 }))
  nginx = await startNginx(`location / { proxy_pass http://app; }`, { http: `include ${include};` })
  haproxy = await startHaproxy(root, [
    { name: 'blue', address: blue.address, weight: 100 },
    { name: 'green', address: green.address, weight: 0 }
  ])
}, 60_000)

afterAll(async () => {
  await nginx?.stop()
  await haproxy?.stop()
  await blue?.stop()
  await green?.stop()
  await sshd?.stop()
  rmSync(root, { recursive: true, force: true })
})

describe('traffic over ssh (router-host)', () => {
  test('nginx: the include is written on the host, nginx tested and reloaded there, the history kept there', async () => {
    const runnerTemp = join(root, 'runner-temp-nginx')
    const r = await runAction('traffic', {
      inputs: {
        router: 'nginx',
        upstream: 'app',
        servers: `blue=${blue.address}\ngreen=${green.address}`,
        weights: 'green',
        'router-config': include,
        'router-args': `-p ${nginx.prefix} -c ${nginx.conf}`,
        path: join(root, 'remote-app'),
        reason: 'over ssh',
        ...ssh()
      },
      runnerTemp,
      timeoutMs: 60_000
    })
    expect(r.stderr).toBe('')
    expect({ code: r.code, out: r.code ? r.stdout : '' }).toEqual({ code: 0, out: '' })
    expect(JSON.parse(r.outputs.weights)).toEqual({ blue: 0, green: 100 })
    expect(readFileSync(include, 'utf8')).toContain(`server ${green.address} weight=100; # gantry: green`)
    const h = JSON.parse(readFileSync(join(root, 'remote-app', '.gantry', 'traffic.json'), 'utf8'))
    expect(h.changes.at(-1)).toMatchObject({ router: 'nginx', weights: { blue: 0, green: 100 }, reason: 'over ssh' })
    // The step waited for the reloaded workers (over ssh too): the first request sees green.
    const body0 = async () => (await fetch(`${nginx.url}/`, { signal: AbortSignal.timeout(5000) })).text()
    for (let k = 0; k < 10; k++) expect(await body0()).toBe('green\n')
    // The key is gone from RUNNER_TEMP and never printed.
    expect(readdirSync(runnerTemp).filter((n) => n.startsWith('gantry-ssh-'))).toEqual([])
    const body = sshd.clientKey.split('\n')[1]
    // ::add-mask:: is how the runner is told what to mask; the runner never prints it.
    const shown = r.stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n')
    expect(shown).not.toContain(body)
    expect(r.summary).not.toContain(body)
  })

  test('haproxy: the runtime API through socat on the host, the state file written there', async () => {
    const r = await runAction('traffic', {
      inputs: {
        router: 'haproxy',
        upstream: 'app',
        servers: 'blue=blue\ngreen=green',
        weights: 'green=100',
        drain: 'blue',
        'router-socket': haproxy.socket,
        'router-state-file': haproxy.stateFile,
        path: join(root, 'remote-app'),
        ...ssh()
      },
      timeoutMs: 60_000
    })
    expect({ code: r.code, out: r.code ? r.stdout : '' }).toEqual({ code: 0, out: '' })
    expect(JSON.parse(r.outputs['previous-weights'])).toEqual({ blue: 100, green: 0 })
    const states = parseServersState(
      await askSocket({ kind: 'unix', path: haproxy.socket }, 'show servers state app', 5000)
    )
    expect(states.map((s) => [s.name, s.uweight, s.adminState])).toEqual([
      ['blue', 0, 8],
      ['green', 100, 0]
    ])
    expect(parseServersState(readFileSync(haproxy.stateFile, 'utf8')).find((s) => s.name === 'blue')?.adminState).toBe(
      8
    )
    for (let k = 0; k < 10; k++) expect(await (await fetch(`${haproxy.url}/`)).text()).toBe('green\n')
  })

  test('command: the program runs on the host with the weights on stdin; its stderr’s last line on failure', async () => {
    const got = join(root, 'lb-got.json')
    const script = join(root, 'lb.sh')
    writeFileSync(
      script,
      `#!/bin/sh\ncat > '${got}'\nif grep -q '"red"' '${got}'; then echo 'lb: no such pool' >&2; exit 2; fi\n`
    )
    chmodSync(script, 0o755)
    const inputs = {
      router: 'command',
      upstream: 'lb',
      servers: 'blue=10.0.0.1\ngreen=10.0.0.2',
      weights: 'green=25,blue=75',
      'router-command': script,
      path: join(root, 'remote-lb'),
      verify: 'false',
      ...ssh()
    }
    const r = await runAction('traffic', { inputs, timeoutMs: 60_000 })
    expect({ code: r.code, out: r.code ? r.stdout : '' }).toEqual({ code: 0, out: '' })
    expect(JSON.parse(readFileSync(got, 'utf8'))).toEqual({
      upstream: 'lb',
      weights: { blue: 75, green: 25 },
      drain: [],
      servers: { blue: '10.0.0.1', green: '10.0.0.2' }
    })
    const bad = await runAction('traffic', {
      inputs: { ...inputs, servers: 'blue=10.0.0.1\nred=10.0.0.3', weights: 'red' },
      timeoutMs: 60_000
    })
    expect(bad.code).toBe(1)
    expect(bad.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toEqual([
      `router-command ${script} exited with 2: lb: no such pool`
    ])
  })

  test('a socket on the host that accepts and never answers: a bounded failure in one line', async () => {
    const dead = join(root, 'dead.sock')
    const held: Socket[] = []
    const server = createServer((c) => void held.push(c))
    await new Promise<void>((r) => server.listen(dead, r))
    try {
      const t0 = performance.now()
      const r = await runAction('traffic', {
        inputs: {
          router: 'haproxy',
          upstream: 'app',
          servers: 'blue=blue\ngreen=green',
          weights: 'blue',
          'router-socket': dead,
          timeout: '1s',
          path: join(root, 'remote-app'),
          ...ssh()
        },
        timeoutMs: 60_000
      })
      expect(r.code).toBe(1)
      expect(r.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toEqual([
        expect.stringMatching(
          /^.*@127\.0\.0\.1:\d+: router-socket .*dead\.sock: no answer to 'show servers state app' within 1 s$/
        )
      ])
      expect(performance.now() - t0).toBeLessThan(30_000)
    } finally {
      for (const c of held) c.destroy()
      await new Promise((r) => server.close(r))
    }
  })

  test('a socket path missing on the host: one line naming the input, nothing changed', async () => {
    const r = await runAction('traffic', {
      inputs: {
        router: 'haproxy',
        upstream: 'app',
        servers: 'blue=blue\ngreen=green',
        weights: 'blue',
        'router-socket': join(root, 'nope.sock'),
        path: join(root, 'remote-app'),
        ...ssh()
      },
      timeoutMs: 60_000
    })
    expect(r.code).toBe(1)
    expect(r.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toEqual([
      expect.stringMatching(
        /^Input 'router-socket' has invalid value '.*nope\.sock': no socket there on .*@127\.0\.0\.1:\d+/
      )
    ])
  })
})
