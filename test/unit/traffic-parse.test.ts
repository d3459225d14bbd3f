// traffic's pure parts: servers/weights/drain, the nginx include both ways,
// HAProxy's `show servers state` / `show stat` answers, and the summary.
import { describe, expect, test } from '@jest/globals'
import {
  WeightsError,
  applyCommands,
  blockWeights,
  nginxMessage,
  parseDrain,
  parseServers,
  parseServersState,
  parseSocket,
  parseStat,
  parseUpstream,
  parseWeights,
  printedWeights,
  renderUpstream,
  resolveWeights,
  restoreCommands,
  splitArgs,
  stateWeights,
  timelineChart,
  timelineTable,
  toPercent
} from '@gantry/traffic'
import type { TrafficChange } from '@gantry/release'

const servers = [
  { name: 'blue', address: '127.0.0.1:3001' },
  { name: 'green', address: '127.0.0.1:3002' }
]

describe('servers, weights, drain', () => {
  test('servers: name=address lines, comments and blanks skipped', () => {
    expect(parseServers('blue=127.0.0.1:3001\n\n# the new one\n green = unix:/run/g.sock ')).toEqual([
      { name: 'blue', address: '127.0.0.1:3001' },
      { name: 'green', address: 'unix:/run/g.sock' }
    ])
  })

  test.each([
    ['blue', /'name=address' lines/],
    ['=x', /'name=address' lines/],
    ['blue=', /'name=address' lines/],
    ['-blue=x', /names of letters/],
    ['blue=a\nblue=b', /'blue' is listed twice/]
  ])('servers %j is refused', (text, message) => {
    expect(() => parseServers(text)).toThrow(message)
  })

  test('weights: pairs (commas or lines, % allowed), a bare name, previous', () => {
    expect(parseWeights('green=10,blue=90')).toEqual({ kind: 'set', weights: { green: 10, blue: 90 } })
    expect(parseWeights('green=10%\nblue = 90%')).toEqual({ kind: 'set', weights: { green: 10, blue: 90 } })
    expect(parseWeights('green')).toEqual({ kind: 'set', weights: { green: 100 } })
    expect(parseWeights('green=100')).toEqual({ kind: 'set', weights: { green: 100 } })
    expect(parseWeights(' previous ')).toEqual({ kind: 'previous' })
  })

  test.each([
    ['green=10,blue=80', /these sum to 90/],
    ['green=10,blue=100', /these sum to 110/],
    ['green=101', /whole number from 0 to 100/],
    ['green=1.5,blue=98.5', /whole number/],
    ['green=-1,blue=101', /whole number/],
    ['green=50,green=50', /'green' is given twice/],
    ['green,blue', /whole number/],
    ['', /expected percentages/]
  ])('weights %j is refused', (text, message) => {
    expect(() => parseWeights(text)).toThrow(WeightsError)
    expect(() => parseWeights(text)).toThrow(message)
  })

  test('drain: names, comma or lines, deduplicated', () => {
    expect(parseDrain('blue, green\nblue')).toEqual(['blue', 'green'])
    expect(parseDrain('')).toEqual([])
    expect(() => parseDrain('blue;rm')).toThrow(/server names/)
  })

  test('resolve: every server gets a weight (0 when not named); unknown and undrainable names are input errors', () => {
    const shown = { input: 'weights', value: 'green' }
    expect(resolveWeights({ green: 100 }, servers, ['blue'], shown)).toEqual({ blue: 0, green: 100 })
    expect(() => resolveWeights({ red: 100 }, servers, [], { input: 'weights', value: 'red' })).toThrow(
      "Input 'weights' has invalid value 'red': 'red' is not in servers; expected names from servers (blue, green)"
    )
    expect(() => resolveWeights({ green: 100 }, servers, ['red'], shown)).toThrow(
      "Input 'drain' has invalid value 'red': 'red' is not in servers"
    )
    expect(() => resolveWeights({ green: 90, blue: 10 }, servers, ['blue'], shown)).toThrow(
      "Input 'drain' has invalid value 'blue': 'blue' keeps 10% of the traffic; expected only servers the weights give 0%"
    )
  })

  test('toPercent: relative weights as whole percentages summing to 100', () => {
    expect(toPercent({ a: 1, b: 1 })).toEqual({ a: 50, b: 50 })
    expect(toPercent({ a: 1, b: 1, c: 1 })).toEqual({ a: 34, b: 33, c: 33 })
    expect(toPercent({ a: 256, b: 0 })).toEqual({ a: 100, b: 0 })
    expect(toPercent({ a: 90, b: 10 })).toEqual({ a: 90, b: 10 })
    expect(toPercent({ a: 0, b: 0 })).toEqual({ a: 0, b: 0 })
  })
})

describe('nginx include', () => {
  test('render → parse round trip; 0% is down; the block’s other directives kept', () => {
    const text = renderUpstream('app', servers, { blue: 90, green: 0 }, ['keepalive 16;'])
    expect(text).toContain('upstream app {\n    server 127.0.0.1:3001 weight=90; # gantry: blue\n')
    expect(text).toContain('    server 127.0.0.1:3002 down; # gantry: green\n    keepalive 16;\n}\n')
    const block = parseUpstream(text, 'app')!
    expect(block.extras).toEqual(['keepalive 16;'])
    expect(blockWeights(block, servers)).toEqual({ blue: 100, green: 0 })
    const split = parseUpstream(renderUpstream('app', servers, { blue: 90, green: 10 }), 'app')!
    expect(blockWeights(split, servers)).toEqual({ blue: 90, green: 10 })
  })

  test('a hand-written block: default weight 1, names from addresses, another upstream ignored', () => {
    const text = `upstream other { server 10.0.0.9:1; }\nupstream app {\n  least_conn;\n  server 127.0.0.1:3001;\n  server 127.0.0.1:3002 weight=3 max_fails=2;\n}\n`
    const block = parseUpstream(text, 'app')!
    expect(block.extras).toEqual(['least_conn;'])
    expect(blockWeights(block, servers)).toEqual({ blue: 25, green: 75 })
    expect(parseUpstream(text, 'missing')).toBeUndefined()
    // A server the block lacks has 0%.
    expect(blockWeights(parseUpstream('upstream app { server 127.0.0.1:3001; }', 'app')!, servers)).toEqual({
      blue: 100,
      green: 0
    })
  })

  test('nginx’s own message: the first error line, without the log prefix', () => {
    expect(
      nginxMessage(
        'nginx: [warn] the "user" directive makes sense only if the master process runs with super-user privileges\nnginx: [emerg] host not found in upstream "x:1" in /etc/nginx/conf.d/a.conf:3\nnginx: configuration file /etc/nginx/nginx.conf test failed\n'
      )
    ).toBe('[emerg] host not found in upstream "x:1" in /etc/nginx/conf.d/a.conf:3')
    expect(nginxMessage('2026/12/04 02:16:11 [emerg] 13107#13107: unknown directive "x" in /a.conf:1\n')).toBe(
      '[emerg] unknown directive "x" in /a.conf:1'
    )
    expect(splitArgs(' -p /srv/nginx   -c /srv/nginx/nginx.conf ')).toEqual([
      '-p',
      '/srv/nginx',
      '-c',
      '/srv/nginx/nginx.conf'
    ])
  })
})

const STATE = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 app 1 blue 127.0.0.1 2 0 90 50 5 1 0 2 0 0 0 0 - 18081 - 0 0 - - 0
3 app 2 green 127.0.0.1 2 8 50 50 4 1 0 2 0 0 0 0 - 18082 - 0 0 - - 0
4 other 1 blue 127.0.0.1 2 0 1 1 4 1 0 2 0 0 0 0 - 18082 - 0 0 - - 0

`

describe('HAProxy runtime API answers', () => {
  test('show servers state: columns by the header; drained or in maintenance is 0%', () => {
    const st = parseServersState(STATE)
    expect(st).toHaveLength(3)
    expect(st[1]).toEqual({ backend: 'app', name: 'green', opState: 2, adminState: 8, uweight: 50, iweight: 50 })
    const hs = [
      { name: 'b', address: 'blue' },
      { name: 'g', address: 'green' }
    ]
    expect(stateWeights(st, 'app', hs)).toEqual({ b: 100, g: 0 })
    expect(() => stateWeights(st, 'app', [{ name: 'p', address: 'purple' }])).toThrow(
      "HAProxy backend 'app' has no server 'purple'"
    )
    expect(() => parseServersState('Unknown command.\n')).toThrow(/unexpected answer/)
  })

  test('a change’s commands: servers gaining traffic first, 0% is weight 0, drain only for drained ones', () => {
    const hs = [
      { name: 'blue', address: 'blue' },
      { name: 'green', address: 'green' },
      { name: 'old', address: 'old' }
    ]
    expect(applyCommands('app', hs, { blue: 0, green: 100, old: 0 }, ['blue'])).toEqual([
      'set server app/green state ready',
      'set server app/green weight 100',
      'set server app/blue weight 0',
      'set server app/blue state drain',
      'set server app/old weight 0'
    ])
    expect(restoreCommands('app', hs.slice(0, 2), parseServersState(STATE))).toEqual([
      'set server app/blue weight 90',
      'set server app/blue state ready',
      'set server app/green weight 50',
      'set server app/green state drain'
    ])
  })

  test('show stat: CSV rows by the header', () => {
    const rows = parseStat('# pxname,svname,qcur,qmax,scur,smax\napp,blue,0,0,3,9\napp,BACKEND,0,0,3,9\n\n')
    expect(rows[0]).toMatchObject({ pxname: 'app', svname: 'blue', scur: '3' })
    expect(rows).toHaveLength(2)
  })

  test('router-socket: a path or host:port', () => {
    expect(parseSocket('/run/haproxy/admin.sock')).toEqual({ kind: 'unix', path: '/run/haproxy/admin.sock' })
    expect(parseSocket('127.0.0.1:9999')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 9999 })
    expect(parseSocket('[::1]:9999')).toEqual({ kind: 'tcp', host: '::1', port: 9999 })
    expect(parseSocket('lb:0')).toBeUndefined()
    expect(parseSocket('admin.sock')).toBeUndefined()
  })

  test('a command router’s printed weights', () => {
    expect(printedWeights('{"weights":{"blue":100}}\n')).toEqual({ blue: 100 })
    expect(printedWeights('ok\n')).toBeUndefined()
    expect(printedWeights('{"weights":[1]}')).toBeUndefined()
  })
})

describe('summary timeline', () => {
  const change = (at: string, weights: Record<string, number>, reason?: string): TrafficChange => ({
    at,
    router: 'nginx',
    upstream: 'app',
    weights,
    previous: {},
    reason,
    actor: 'octocat'
  })
  const changes = [
    change('2026-12-04T02:00:00.000Z', { blue: 100, green: 0 }),
    change('2026-12-04T02:10:00.000Z', { blue: 90, green: 10 }, 'canary | 1'),
    change('2026-12-04T02:20:00.000Z', { blue: 0, green: 100 }, 'blue-green')
  ]

  test('a table, newest first, cells escaped', () => {
    const t = timelineTable(changes)
    const lines = t.split('\n')
    expect(lines[0]).toBe('| When (UTC) | Who | Weights | Before | Drained | Reason |')
    expect(lines[2]).toBe('| 2026-12-04 02:20:00Z | octocat | blue=0,green=100 | none | – | blue-green |')
    expect(lines[3]).toContain('canary \\| 1')
  })

  test('a mermaid gantt: a section per server, a bar per stretch with traffic', () => {
    const chart = timelineChart(changes, 'app', new Date('2026-12-04T02:30:00.000Z'))
    expect(chart.split('\n')).toEqual([
      '```mermaid',
      'gantt',
      '    title Traffic of app (percent per server, UTC)',
      '    dateFormat YYYY-MM-DD HH:mm:ss',
      '    axisFormat %H:%M',
      '    section blue',
      '    100% : 2026-12-04 02:00:00, 2026-12-04 02:10:00',
      '    90% : 2026-12-04 02:10:00, 2026-12-04 02:20:00',
      '    section green',
      '    10% : 2026-12-04 02:10:00, 2026-12-04 02:20:00',
      '    100% : 2026-12-04 02:20:00, 2026-12-04 02:30:00',
      '```'
    ])
    expect(timelineChart([], 'app', new Date())).toBe('')
  })

  test('a change undone within the same second draws one bar, not two of the same weight', () => {
    const at = (s: string) => `2026-12-04T02:00:${s}Z`
    const w = (blue: number) => ({ blue, green: 100 - blue })
    const quick: TrafficChange[] = [
      { at: at('00.000'), router: 'command', upstream: 'app', weights: w(90), previous: w(100) },
      { at: at('05.100'), router: 'command', upstream: 'app', weights: w(0), previous: w(90) },
      { at: at('05.600'), router: 'command', upstream: 'app', weights: w(90), previous: w(0) }
    ]
    const chart = timelineChart(quick, 'app', new Date(at('09.000')))
    expect(chart).toContain('    section blue\n    90% : 2026-12-04 02:00:00, 2026-12-04 02:00:09\n')
    expect(chart.match(/90%/g)).toHaveLength(1)
  })
})
