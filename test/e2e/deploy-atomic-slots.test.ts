// deploy-atomic and auto-rollback with `slot`, through the bundles as the
// runner runs them (with GANTRY_DIST_DIR: a fresh bundle built elsewhere):
// the `slot` output, summary and report; `slot: idle` from a traffic.json the
// test writes; GANTRY_SLOT for activate; a rollback of a slot; and the bad
// slot inputs, each one line naming the input before anything changes.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { writeFiles } from '../helpers/git-tree.js'
import { startServer, type TestServer } from '../helpers/http.js'

jest.setTimeout(90_000)

let root: string
let base: string

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-slots-'))
  base = join(root, 'app')
})
let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  rmSync(root, { recursive: true, force: true })
})

const source = (id: string): string => writeFiles(join(root, 'src', id), { 'index.html': `release ${id}` })
const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)
const slotLink = (name: string) => readlinkSync(join(base, 'slots', name))
const history = () => JSON.parse(readFileSync(join(base, '.gantry', 'history.json'), 'utf8'))

async function deployTo(id: string, inputs: Record<string, string> = {}) {
  const r = await runAction('deploy-atomic', {
    inputs: { source: source(id), path: base, 'release-id': id, ...inputs }
  })
  if (r.code !== 0) throw new Error(`deploy ${id} failed: ${r.stdout}`)
  return r
}

function expectOneLine(r: { code: number; stdout: string; stderr: string }, message: RegExp): void {
  expect(r.code).toBe(1)
  const e = errors(r as never)
  expect(e).toHaveLength(1)
  expect(e[0]).toMatch(message)
  expect(e[0]).not.toContain('\n')
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at |ENOENT|TypeError/)
}

function writeTraffic(weights: Record<string, number>): void {
  mkdirSync(join(base, '.gantry'), { recursive: true })
  const change = { at: '2026-12-01T00:00:00.000Z', router: 'nginx', upstream: 'app', weights, previous: {} }
  writeFileSync(join(base, '.gantry', 'traffic.json'), JSON.stringify({ version: 1, changes: [change] }))
}

describe('deploy-atomic with slot', () => {
  test('slot: green links slots/green, leaves current, sets the slot output and says so in the summary and report', async () => {
    await deployTo('r0')
    const r = await deployTo('r1', { slot: 'green' })
    expect(r.outputs).toMatchObject({ 'release-id': 'r1', 'previous-release-id': '', slot: 'green' })
    expect(slotLink('green')).toBe('../releases/r1')
    expect(readlinkSync(join(base, 'current'))).toBe('releases/r0')
    expect(r.summary).toContain('release r1 is in slot green (`current` untouched)')
    expect(r.summary).toMatch(/\| r1 \| green \| \(none\) \|/)
    expect(JSON.parse(readFileSync(r.outputs.report!, 'utf8'))).toMatchObject({ slot: 'green', releaseId: 'r1' })
    const again = await deployTo('r2', { slot: 'green' })
    expect(again.outputs).toMatchObject({ 'previous-release-id': 'r1', slot: 'green' })
    // Without a slot: the output is empty and the report says null.
    const plain = await deployTo('r3')
    expect(plain.outputs.slot).toBe('')
    expect(JSON.parse(readFileSync(plain.outputs.report!, 'utf8')).slot).toBeNull()
    expect(slotLink('green')).toBe('../releases/r2')
  })

  test('slot: idle takes the slot at 0% in traffic.json; activate sees GANTRY_SLOT', async () => {
    writeTraffic({ blue: 100, green: 0 })
    const seen = join(root, 'seen')
    const r = await deployTo('r1', { slot: 'idle', activate: `sh -c 'echo "$GANTRY_SLOT" > ${seen}'` })
    expect(r.outputs.slot).toBe('green')
    expect(readFileSync(seen, 'utf8')).toBe('green\n')
    expect(slotLink('green')).toBe('../releases/r1')
    expect(history().events.at(-1)).toMatchObject({ kind: 'deploy', to: 'r1', slot: 'green' })
  })

  test('bad slot values: one line naming the input, value and form; nothing created', async () => {
    for (const bad of ['Green', 'blue green', '1st', 'a'.repeat(33), '../current']) {
      const r = await runAction('deploy-atomic', { inputs: { source: source('r1'), path: base, slot: bad } })
      expectOneLine(
        r,
        /^Input 'slot' has invalid value '.*': expected a slot name \(a lowercase letter, then up to 31 lowercase letters, digits or -, such as green\) or idle$/
      )
    }
    expect(existsSync(base)).toBe(false)
  })

  test('slot: idle with no traffic recorded, or no slot at 0%: one line, nothing deployed', async () => {
    const r = await runAction('deploy-atomic', { inputs: { source: source('r1'), path: base, slot: 'idle' } })
    expectOneLine(
      r,
      /^Input 'slot' has invalid value 'idle': local:.*: no traffic has been recorded yet, so no slot is idle; .*; nothing changed$/
    )
    expect(existsSync(base)).toBe(false)
    writeTraffic({ blue: 50, green: 50 })
    const r2 = await runAction('deploy-atomic', { inputs: { source: source('r1'), path: base, slot: 'idle' } })
    expectOneLine(
      r2,
      /^Input 'slot' has invalid value 'idle': .*blue=50,green=50; name the slot instead; nothing changed$/
    )
    expect(existsSync(join(base, 'releases'))).toBe(false)
  })
})

describe('auto-rollback with slot', () => {
  test('relinks the slot to its previous release, records the slot, leaves current; outputs and summary name the slot', async () => {
    await deployTo('r0')
    await deployTo('r1', { slot: 'green' })
    await deployTo('r2', { slot: 'green' })
    const r = await runAction('auto-rollback', { inputs: { path: base, slot: 'green', reason: 'smoke failed' } })
    expect(errors(r)).toEqual([
      expect.stringMatching(/^Deployment failed: rolled back slot green from r2 to r1: smoke failed$/)
    ])
    expect(r.code).toBe(0)
    expect(r.outputs).toMatchObject({ 'rolled-back': 'true', from: 'r2', to: 'r1', slot: 'green' })
    expect(slotLink('green')).toBe('../releases/r1')
    expect(readlinkSync(join(base, 'current'))).toBe('releases/r0')
    expect(r.summary).toContain('rolled back slot green from r2 to r1')
    expect(r.summary).toContain('Only `slots/green` was relinked')
    expect(JSON.parse(readFileSync(r.outputs.report!, 'utf8'))).toMatchObject({ slot: 'green', from: 'r2', to: 'r1' })
    const h = history()
    expect(h.events.at(-1)).toMatchObject({ kind: 'rollback', from: 'r2', to: 'r1', slot: 'green' })
    expect(h.releases.find((x: { id: string }) => x.id === 'r2').status).toBe('bad')
  })

  test('a watch of the slot that sees a breach rolls that slot back; current untouched', async () => {
    await deployTo('r0')
    await deployTo('r1', { slot: 'blue' })
    await deployTo('r2', { slot: 'blue' })
    server = await startServer((_req, res) => {
      res.statusCode = 503
      res.end('down')
    })
    const r = await runAction('auto-rollback', {
      inputs: {
        path: base,
        slot: 'blue',
        watch: '2s',
        interval: '500ms',
        'unhealthy-threshold': '2',
        'health-url': `${server.url}/healthz`
      }
    })
    expect(r.stdout).toMatch(/slot blue: r2/)
    expect(r.outputs).toMatchObject({ 'rolled-back': 'true', from: 'r2', to: 'r1', slot: 'blue' })
    expect(slotLink('blue')).toBe('../releases/r1')
    expect(readlinkSync(join(base, 'current'))).toBe('releases/r0')
    expect(history().events.at(-1)).toMatchObject({ kind: 'rollback', slot: 'blue', from: 'r2', to: 'r1' })
  })

  test('slot: idle and bad names are refused in one line before anything changes', async () => {
    await deployTo('r1', { slot: 'green' })
    const before = readFileSync(join(base, '.gantry', 'history.json'), 'utf8')
    const idle = await runAction('auto-rollback', { inputs: { path: base, slot: 'idle' } })
    expectOneLine(
      idle,
      /^Input 'slot' has invalid value 'idle': a rollback needs the slot that served the release \(idle names the one without traffic\); expected a slot name/
    )
    const bad = await runAction('auto-rollback', { inputs: { path: base, slot: 'Green' } })
    expectOneLine(bad, /^Input 'slot' has invalid value 'Green': expected a slot name \(.*\)$/)
    expect(readFileSync(join(base, '.gantry', 'history.json'), 'utf8')).toBe(before)
    expect(slotLink('green')).toBe('../releases/r1')
  })
})
