// deploy-atomic strategy: rolling through the bundle: its bad inputs, each one
// line before any side effect (no host is connected, nothing is written), and
// the hosts server names checked against what the router reads (a fake HAProxy
// runtime API on a unix socket: read only, never changed).
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { writeFiles } from '../helpers/git-tree.js'

jest.setTimeout(90_000)

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n'

const STATE = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 shop 1 web1 127.0.0.1 2 0 1 1 5 1 0 2 0 0 0 0 - 18081 - 0 0 - - 0
3 shop 2 web2 127.0.0.1 2 0 1 1 4 1 0 2 0 0 0 0 - 18082 - 0 0 - - 0

`

let root: string
let socket: string
let server: Server
let commands: string[]

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-rolling-'))
  socket = join(root, 'admin.sock')
  commands = []
  server = createServer((c) => {
    c.on('data', (d) => {
      const cmd = d.toString().trim()
      commands.push(cmd)
      c.end(cmd.startsWith('show servers state') ? STATE : '\n')
    })
  })
  await new Promise<void>((r) => server.listen(socket, r))
})
afterEach(async () => {
  await new Promise((r) => server.close(r))
  rmSync(root, { recursive: true, force: true })
})

const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)

function base(over: Record<string, string>) {
  return {
    source: writeFiles(join(root, 'v1'), { 'index.html': 'v1' }),
    path: '/srv/shop',
    target: 'ssh',
    hosts: 'web1=deploy@127.0.0.1:2201\nweb2=deploy@127.0.0.1:2202',
    'ssh-key': KEY,
    'known-hosts': 'insecure-accept',
    strategy: 'rolling',
    'batch-size': '1',
    'host-health-url': 'http://{host}:8080/healthz',
    router: 'haproxy',
    upstream: 'shop',
    'router-socket': socket,
    ...over
  }
}

async function expectOneLine(over: Record<string, string>, message: RegExp) {
  const r = await runAction('deploy-atomic', { inputs: base(over) })
  expect(r.code).toBe(1)
  const e = errors(r)
  expect(e).toHaveLength(1)
  expect(e[0]).toMatch(message)
  expect(e[0]).not.toContain('\n')
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at |TypeError/)
  // Nothing was asked of the router but its state (read only), and no host was reached.
  expect(commands.filter((c) => !c.startsWith('show servers state'))).toEqual([])
  expect(r.stdout).not.toMatch(/uploading|lock/)
  return r
}

describe('strategy rolling: bad inputs, one line before any side effect', () => {
  test('batch-size 0', async () => {
    await expectOneLine(
      { 'batch-size': '0' },
      /^Input 'batch-size' has invalid value '0': expected a whole number from 1 to 10000$/
    )
    expect(commands).toEqual([])
  })

  test('a host-health-url without {host}', async () => {
    await expectOneLine(
      { 'host-health-url': 'http://10.0.0.1:8080/healthz' },
      /^Input 'host-health-url' has invalid value 'http:\/\/10\.0\.0\.1:8080\/healthz': it has no \{host\}; expected an http\(s\) URL with \{host\}/
    )
  })

  test('rolling without a router, or without host-health-url', async () => {
    await expectOneLine({ router: '', 'router-socket': '' }, /^Input 'router' is required when strategy is rolling: /)
    await expectOneLine({ 'host-health-url': '' }, /^Input 'host-health-url' is required when strategy is rolling: /)
  })

  test('rolling with target local (one host)', async () => {
    await expectOneLine(
      { target: 'local', hosts: '', 'ssh-key': '', 'known-hosts': '', path: join(root, 'app') },
      /^Input 'strategy' has invalid value 'rolling': target is local, one host with nothing to roll over; expected target: ssh/
    )
    expect(existsSync(join(root, 'app'))).toBe(false)
  })

  test('two hosts with one server name, a batch of every host, router inputs without rolling', async () => {
    await expectOneLine(
      { hosts: 'deploy@127.0.0.1:2201\ndeploy@127.0.0.1:2202' },
      /^Input 'hosts' has invalid value 'deploy@127\.0\.0\.1:2202': server name '127\.0\.0\.1' is also deploy@127\.0\.0\.1:2201's; /
    )
    await expectOneLine(
      { 'batch-size': '2' },
      /^Input 'batch-size' has invalid value '2': a batch of every host \(2\) drains every server at once; expected a whole number from 1 to 1$/
    )
    await expectOneLine(
      { strategy: 'switch' },
      /^Input 'router' is only read with strategy: rolling \(strategy is 'switch'\)/
    )
  })

  test("a hosts name the router's backend does not have: found by reading the router, before any upload", async () => {
    await expectOneLine(
      { hosts: 'web1=deploy@127.0.0.1:2201\nweb3=deploy@127.0.0.1:2203' },
      /^HAProxy backend 'shop' has no server 'web3'/
    )
    expect(commands.length).toBeGreaterThan(0)
  })

  test("router nginx: a hosts name Gantry's include lacks is refused (not read as 0%), the include untouched", async () => {
    const config = join(root, 'gantry-shop.conf')
    // web2's line is missing: nginx would give it no traffic, which is not the server the hosts line names.
    const text =
      'upstream shop {\n    server 127.0.0.1:18081 weight=1; # gantry: web1\n    server 127.0.0.1:18083 weight=1; # gantry: web3\n}\n'
    writeFileSync(config, text)
    await expectOneLine(
      {
        router: 'nginx',
        'router-socket': '',
        'router-config': config,
        servers: 'web1=127.0.0.1:18081\nweb2=127.0.0.1:18082\nweb3=127.0.0.1:18083'
      },
      /^Input 'hosts' has invalid value 'web2=deploy@127\.0\.0\.1:2202': the router has no server 'web2' in shop \(it has web1, web3\); expected name=user@host with the router's server name$/
    )
    expect(readFileSync(config, 'utf8')).toBe(text)
  })
})
