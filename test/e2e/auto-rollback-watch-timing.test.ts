// auto-rollback through the shipped bundle: a watch that cannot see a breach
// is an input error naming watch and interval, before anything is probed or
// changed. Before, `interval` longer than `watch` sent one probe and reported
// a clean watch even against a server that answers 500 to everything.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { startServer, type TestServer } from '../helpers/http.js'

jest.setTimeout(60_000)

let root: string
let base: string
let server: TestServer

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-watch-timing-'))
  base = join(root, 'app')
  for (const id of ['r1', 'r2']) {
    const src = join(root, 'src', id)
    mkdirSync(src, { recursive: true })
    writeFileSync(join(src, 'index.html'), id)
    const r = await runAction('deploy-atomic', { inputs: { source: src, path: base, 'release-id': id } })
    if (r.code !== 0) throw new Error(`deploy ${id} failed: ${r.stdout}`)
  }
  server = await startServer((_req, res) => {
    res.statusCode = 500
    res.end('down')
  })
})
afterEach(async () => {
  await server.close()
  rmSync(root, { recursive: true, force: true })
})

const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)
const current = () => readlinkSync(join(base, 'current')).replace('releases/', '')

describe('a watch that cannot see a breach is an input error', () => {
  test.each([
    [
      { watch: '300ms', interval: '1s' },
      "Input 'interval' has invalid value '1s': expected a duration no longer than watch ('300ms'); a watch shorter than its interval sends one probe and cannot see a breach"
    ],
    [
      { watch: '15s', interval: '10s' },
      "Input 'watch' has invalid value '15s': expected at least 20s, room for 3 probes (unhealthy-threshold) every 10s (interval); a shorter watch cannot see 3 consecutive failures"
    ],
    [
      { watch: '1s', interval: '600ms', 'unhealthy-threshold': '3' },
      "Input 'watch' has invalid value '1s': expected at least 1.2s, room for 3 probes (unhealthy-threshold) every 600ms (interval); a shorter watch cannot see 3 consecutive failures"
    ]
  ])('%j', async (given, message) => {
    const r = await runAction('auto-rollback', { inputs: { path: base, 'health-url': server.url, ...given } })
    expect(r.code).toBe(1)
    expect(errors(r)).toEqual([message])
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /)
    expect(r.outputs).toEqual({})
    expect(server.hits).toBe(0)
    expect(current()).toBe('r2')
    expect(existsSync(join(base, '.gantry', 'lock'))).toBe(false)
  })

  test('a watch just long enough for unhealthy-threshold probes sees the breach and rolls back', async () => {
    const r = await runAction('auto-rollback', {
      inputs: { path: base, 'health-url': server.url, watch: '200ms', interval: '100ms', 'unhealthy-threshold': '3' }
    })
    expect(r.outputs['rolled-back']).toBe('true')
    expect(r.outputs.reason).toMatch(/^3 consecutive failed probes/)
    expect(current()).toBe('r1')
  })
})
