// smoke-test through the shipped bundle, at its limits: a response too deeply
// nested to handle fails only its own check; an alias bomb is a spec problem
// at file:line with a report and JUnit; output paths and the spec's size are
// checked before any request; a check URL that is not http(s), CONNECT and a
// header value that is not Latin-1 are refused when the spec is loaded.
// Each of these failed before: a crash that lost every verdict, an uncaught
// error, a failure after every request (or a hang), or a request that failed.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { startServer, type TestServer } from '../helpers/http.js'

jest.setTimeout(60_000)

const DEEP = '['.repeat(100_000) + ']'.repeat(100_000)
let app: TestServer
let ws: string
beforeAll(async () => {
  ws = mkdtempSync(join(tmpdir(), 'gantry-e2e-smoke-limits-'))
  app = await startServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(req.url === '/deep' ? DEEP : '{"ok":true}')
  })
})
afterAll(async () => {
  await app.close()
  rmSync(ws, { recursive: true, force: true })
})

const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)

async function smoke(spec: string, inputs: Record<string, string> = {}) {
  writeFileSync(join(ws, 'smoke.yml'), spec)
  const before = app.hits
  const r = await runAction('smoke-test', {
    inputs: { spec: 'smoke.yml', 'base-url': app.url, ...inputs },
    workspace: ws,
    timeoutMs: 30_000
  })
  return { r, hits: app.hits - before }
}

describe('a response nested too deeply fails its own check only', () => {
  test('[ x 100000: the other checks keep their verdicts; report and JUnit are written', async () => {
    const { r } = await smoke(
      [
        'checks:',
        '  - { name: equal, request: { url: /deep }, expect: { json: { "$": [[1]] } } }',
        '  - { name: index, request: { url: /deep }, expect: { json: { "$[0]": 5 } } }',
        '  - { name: grab, request: { url: /deep }, capture: { X: "$" } }',
        '  - { name: use, needs: grab, request: { url: "/x?q=${X}" } }',
        '  - { name: fine, request: { url: /ok }, expect: { json: { "$.ok": true } } }'
      ].join('\n'),
      { junit: 'out/junit.xml' }
    )
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /)
    expect(r.outputs).toMatchObject({ total: '5', passed: '2', failed: '3', skipped: '0' })
    const e = errors(r)
    expect(e).toContain("check 'equal' failed: json $: expected [[1]], got a list nested too deeply to show")
    expect(e).toContain("check 'index' failed: json $[0]: expected 5, got a list nested too deeply to show")
    expect(e.find((m) => m.startsWith("check 'use' failed"))).toMatch(/a value nested too deeply to send/)
    expect(readFileSync(join(ws, 'out', 'junit.xml'), 'utf8')).toContain('tests="5" failures="3"')
    expect(JSON.parse(readFileSync(r.outputs.report as string, 'utf8'))).toMatchObject({ passed: 2, failed: 3 })
  })
})

describe('spec problems at file:line, with report and JUnit, before any request', () => {
  const bomb = [
    'x-a: &a [x, x, x, x, x, x, x, x, x]',
    'x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
    'x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
    'x-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
    'checks:',
    '  - { name: a, request: { url: /ok } }'
  ].join('\n')
  test.each([
    [
      'an alias bomb',
      bomb,
      2,
      'YAML: excessive alias expansion (more than 100 aliased values, as in an alias bomb): write the values out'
    ],
    [
      'a file: URL (was appended to base-url)',
      'checks:\n  - { name: a, request: { url: "file:///etc/passwd" } }',
      2,
      "check 'a' request.url: expected a path relative to base-url or an http(s) URL, got a file: URL 'file:///etc/passwd'"
    ],
    [
      'a gopher: URL',
      'checks:\n  - { name: a, request: { url: "gopher://127.0.0.1:70/x" } }',
      2,
      "check 'a' request.url: expected a path relative to base-url or an http(s) URL, got a gopher: URL 'gopher://127.0.0.1:70/x'"
    ],
    [
      'method CONNECT',
      'checks:\n  - { name: a, request: { url: /ok, method: CONNECT } }',
      2,
      "check 'a' request.method: expected an HTTP method such as GET or POST, got 'CONNECT' (CONNECT opens a tunnel, not a request)"
    ],
    [
      'a header value that is not Latin-1',
      'checks:\n  - name: a\n    request:\n      url: /ok\n      headers: { X-Name: "snow ☃" }',
      5,
      "check 'a' request.headers.X-Name: header values must be Latin-1 text without control characters, got U+2603 in 'X-Name' (percent-encode it, or send it in the body)"
    ]
  ])('%s', async (_what, spec, line, message) => {
    const { r, hits } = await smoke(spec, { junit: 'bad.xml' })
    expect(r.code).toBe(1)
    expect(hits).toBe(0)
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /)
    const e = r.annotations.filter((a) => a.level === 'error')
    expect(e[0]).toMatchObject({ file: 'smoke.yml', line, title: 'smoke spec' })
    expect(e[0]?.message.replace(/^smoke\.yml:\d+:\d+: /, '')).toBe(message)
    expect(Object.keys(r.outputs).sort()).toEqual(['junit', 'report'])
    expect(readFileSync(join(ws, 'bad.xml'), 'utf8')).toContain('type="SpecError"')
    expect(existsSync(r.outputs.report as string)).toBe(true)
  })
})

describe('output paths and the spec size are checked before any request', () => {
  const spec = 'checks:\n  - { name: a, request: { url: /ok } }\n'
  test.each([
    [
      'a directory',
      'adir',
      "Input 'junit' has invalid value 'adir': it is a directory: expected the path of a file to write"
    ],
    [
      'under a file',
      'afile/x.xml',
      `Input 'junit' has invalid value 'afile/x.xml': ${'WS'}/afile is not a directory: expected the path of a file to write`
    ],
    // Node's recursive mkdir loops forever under /proc: this hung the step.
    [
      'under /proc',
      '/proc/gantry-none/y.xml',
      "Input 'junit' has invalid value '/proc/gantry-none/y.xml': cannot create the directory /proc/gantry-none (ENOENT): expected the path of a file to write"
    ]
  ])('junit %s: one line, no request', async (_what, junit, message) => {
    mkdirSync(join(ws, 'adir'), { recursive: true })
    writeFileSync(join(ws, 'afile'), 'x')
    const { r, hits } = await smoke(spec, { junit })
    expect(r.code).toBe(1)
    expect(hits).toBe(0)
    expect(errors(r)).toEqual([message.replace('WS', ws)])
  })

  test('a writable junit path is left as it was until the end (no empty file from the check)', async () => {
    const { r } = await smoke(spec, { junit: 'new/dir/j.xml' })
    expect(r.code).toBe(0)
    expect(readFileSync(join(ws, 'new', 'dir', 'j.xml'), 'utf8')).toContain('tests="1"')
  })

  test('a spec over 2 MiB is refused before it is read', async () => {
    const big = `${spec}# ${'x'.repeat(3 * 1024 * 1024)}\n`
    const { r, hits } = await smoke(big)
    expect(r.code).toBe(1)
    expect(hits).toBe(0)
    expect(errors(r)).toEqual([
      "Input 'spec' has invalid value 'smoke.yml': the file is 3 MiB: expected a smoke spec of at most 2 MiB"
    ])
  })
})
