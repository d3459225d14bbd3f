// A history.json that cannot be parsed (a truncated write, a bad hand edit) is
// kept aside as history.json.corrupt-<time>; a minimal one is rebuilt from the
// release directories and `current` (marks unknown) and one warning says so.
// Neither a deploy nor a rollback to a release whose directory verifies is
// blocked by it (issue 14).
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'

jest.setTimeout(90_000)

let root: string
let base: string

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-history-'))
  base = join(root, 'app')
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

const meta = () => join(base, '.gantry')
const history = () => JSON.parse(readFileSync(join(meta(), 'history.json'), 'utf8'))
const current = () => readlinkSync(join(base, 'current')).replace('releases/', '')
const level = (r: { annotations: Array<{ level: string; message: string }> }, l: string) =>
  r.annotations.filter((a) => a.level === l).map((a) => a.message)

async function deployAll(...ids: string[]): Promise<void> {
  for (const id of ids) {
    const src = join(root, 'src', id)
    mkdirSync(src, { recursive: true })
    writeFileSync(join(src, 'index.html'), id)
    const r = await runAction('deploy-atomic', { inputs: { source: src, path: base, 'release-id': id } })
    if (r.code !== 0) throw new Error(`deploy ${id} failed: ${r.stdout}`)
  }
}

/** Cuts history.json in half, as a short write on a full disk did. */
function truncateHistory(): string {
  const text = readFileSync(join(meta(), 'history.json'), 'utf8')
  const cut = text.slice(0, Math.floor(text.length / 2))
  writeFileSync(join(meta(), 'history.json'), cut)
  return cut
}

const aside = () => readdirSync(meta()).filter((n) => /^history\.json\.corrupt-\d{8}T\d{6}Z(-\d+)?$/.test(n))

const warning =
  /^local:.*: \.gantry\/history\.json could not be parsed \(.*\); kept it as \.gantry\/history\.json\.corrupt-\d{8}T\d{6}Z(-\d+)? and rebuilt a minimal history from 2 release directories and current \(good\/bad marks unknown\)$/

describe('an unparseable history.json', () => {
  test('a deploy keeps it aside, rebuilds, warns once and goes on', async () => {
    await deployAll('r1', 'r2')
    const cut = truncateHistory()
    const r = await runAction('deploy-atomic', {
      inputs: { source: join(root, 'src', 'r1'), path: base, 'release-id': 'r3' }
    })
    expect(level(r, 'error')).toEqual([])
    expect(r.code).toBe(0)
    expect(level(r, 'warning')).toEqual([expect.stringMatching(warning)])
    expect(aside()).toHaveLength(1)
    expect(readFileSync(join(meta(), aside()[0]!), 'utf8')).toBe(cut)
    expect(current()).toBe('r3')
    const h = history()
    expect(h.releases.map((x: { id: string; status: string }) => `${x.id}:${x.status}`)).toEqual([
      'r1:unknown',
      'r2:unknown',
      'r3:good'
    ])
    // The next deploy reads the rebuilt history without a word.
    const again = await runAction('deploy-atomic', {
      inputs: { source: join(root, 'src', 'r1'), path: base, 'release-id': 'r4' }
    })
    expect(again.code).toBe(0)
    expect(level(again, 'warning')).toEqual([])
  })

  test('a rollback is not blocked: the newest older release that verifies, or `to`', async () => {
    await deployAll('r1', 'r2', 'r3')
    truncateHistory()
    const r = await runAction('auto-rollback', { inputs: { path: base, reason: 'gate failed' } })
    expect(level(r, 'warning')).toEqual([expect.stringMatching(warning.source.replace('from 2', 'from 3'))])
    expect(r.code).toBe(0)
    expect(r.outputs).toMatchObject({ 'rolled-back': 'true', from: 'r3', to: 'r2' })
    expect(current()).toBe('r2')
    expect(history().releases.find((x: { id: string }) => x.id === 'r3')).toMatchObject({ status: 'bad' })

    writeFileSync(join(meta(), 'history.json'), '{"version": 1, "releases": [')
    const to = await runAction('auto-rollback', { inputs: { path: base, to: 'r1' } })
    expect(to.code).toBe(0)
    expect(to.outputs).toMatchObject({ 'rolled-back': 'true', from: 'r2', to: 'r1' })
    expect(current()).toBe('r1')
    expect(aside()).toHaveLength(2)
  })

  test('a rollback to a release whose directory does not verify is still refused', async () => {
    await deployAll('r1', 'r2')
    truncateHistory()
    writeFileSync(join(base, 'releases', 'r1', 'index.html'), 'changed on the server')
    rmSync(join(base, 'releases', 'r1', 'index.html'))
    const r = await runAction('auto-rollback', { inputs: { path: base, to: 'r1' } })
    expect(r.code).toBe(1)
    expect(level(r, 'error')).toEqual([expect.stringMatching(/release 'r1' on .* is damaged .*; nothing changed/)])
    expect(current()).toBe('r2')
  })
})
