// auto-rollback with `slot` and the router inputs of traffic, through the
// bundle as the runner runs it: the slot's traffic goes back first (weights
// before the change that gave it traffic), then the slot is relinked; a slot
// at 0% leaves the router alone; the router inputs' mistakes are one line
// before anything changes. The router is a router-command writing a file.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { writeFiles } from '../helpers/git-tree.js'
import { lbCommand } from '../helpers/lb-command.js'

jest.setTimeout(90_000)

let root: string
let base: string
let lbFile: string
let router: Record<string, string>

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-rollback-router-'))
  base = join(root, 'app')
  lbFile = join(root, 'lb.json')
  router = {
    router: 'command',
    upstream: 'app',
    servers: 'blue=blue\ngreen=green',
    'router-command': lbCommand(root, lbFile)
  }
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

const source = (id: string): string => writeFiles(join(root, 'src', id), { 'index.html': `release ${id}` })
const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)
const traffic = () =>
  JSON.parse(readFileSync(join(base, '.gantry', 'traffic.json'), 'utf8')) as {
    changes: { weights: Record<string, number>; previous: Record<string, number>; reason?: string }[]
  }

async function ok(name: string, inputs: Record<string, string>) {
  const r = await runAction(name, { inputs })
  if (r.code !== 0) throw new Error(`${name} failed: ${r.stdout}`)
  return r
}
const deploy = (id: string, slot: string) =>
  ok('deploy-atomic', { source: source(id), path: base, 'release-id': id, slot })
const move = (weights: string) => ok('traffic', { ...router, weights, path: base })

describe('auto-rollback with slot and a router', () => {
  test('the slot with the traffic: traffic back to the old slot first, then the slot relinked', async () => {
    await deploy('r1', 'blue')
    await move('blue')
    await deploy('r2', 'green')
    await move('green')
    await deploy('r3', 'green')
    const r = await ok('auto-rollback', { ...router, path: base, slot: 'green', reason: 'r3 fails checkout' })
    expect(r.outputs).toMatchObject({ 'rolled-back': 'true', slot: 'green', from: 'r3', to: 'r2' })
    const last = traffic().changes.at(-1)!
    expect(last.weights).toEqual({ blue: 100, green: 0 })
    expect(last.reason).toBe('weights: previous; rollback of slot green: r3 fails checkout')
    expect(JSON.parse(readFileSync(lbFile, 'utf8'))).toEqual({ blue: 100, green: 0 })
    expect(readlinkSync(join(base, 'slots', 'green'))).toBe('../releases/r2')
    expect(r.summary).toContain('Traffic: traffic moved back: blue=0,green=100 -> blue=100,green=0')
    // The traffic moved before the relink: the traffic step's lines come first in the log.
    expect(r.stdout).toContain('rolled back slot green from r3 to r2')
    expect(r.stdout.indexOf('traffic moved back')).toBeLessThan(r.stdout.indexOf('rolled back slot green'))
  })

  test('a slot without traffic leaves the router alone; one that held nothing good before is marked bad', async () => {
    await deploy('r1', 'blue')
    await move('blue')
    await deploy('r2', 'green')
    const before = traffic().changes.length
    const r = await ok('auto-rollback', { ...router, path: base, slot: 'green', reason: 'gate failed' })
    expect(r.outputs).toMatchObject({ 'rolled-back': 'true', slot: 'green', from: 'r2', to: 'r1' })
    expect(traffic().changes).toHaveLength(before)
    const h = JSON.parse(readFileSync(join(base, '.gantry', 'history.json'), 'utf8')) as {
      releases: { id: string; status: string }[]
    }
    expect(h.releases.find((x) => x.id === 'r2')?.status).toBe('bad')
    expect(readlinkSync(join(base, 'slots', 'green'))).toBe('../releases/r2')
  })

  test.each([
    [{ slot: '' }, /^Input 'router' has invalid value 'command': it moves a slot's traffic back, but no slot is given/],
    [{ slot: 'red' }, /^Input 'slot' has invalid value 'red': it is not one of the router's servers \(blue, green\)/],
    [{ slot: 'green', upstream: '' }, /^Input 'upstream' is required when router is given/],
    [
      { slot: 'green', 'router-command': '', 'router-config': '/etc/nginx/x.conf' },
      /^Input 'router-config' has invalid value/
    ]
  ])('bad router input %j: one line, nothing changed', async (bad, message) => {
    await deploy('r1', 'green')
    const r = await runAction('auto-rollback', { inputs: { ...router, path: base, ...bad } })
    expect(r.code).toBe(1)
    const e = errors(r)
    expect(e).toHaveLength(1)
    expect(e[0]).toMatch(message)
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at |TypeError/)
    expect(readlinkSync(join(base, 'slots', 'green'))).toBe('../releases/r1')
  })
})
