// history.json on a full disk (issue 14): a short write must never replace the
// good file. On a small tmpfs this test mounts, filled so that only a few pages
// are free, the deploy-atomic bundle fails with one line and the previous
// history survives byte for byte; once space is back the next deploy goes on
// from it. Needs root (mount).
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { writeFiles } from '../helpers/git-tree.js'

jest.setTimeout(120_000)

let root: string
let mnt: string
let mounted = false

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-full-disk-'))
  mnt = join(root, 'mnt')
  mkdirSync(mnt)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0755', 'tmpfs', mnt], { timeout: 30_000 })
  mounted = true
})

afterAll(() => {
  if (mounted) execFileSync('umount', [mnt], { timeout: 30_000 })
  rmSync(root, { recursive: true, force: true })
})

const PAGE = 4096

/** Fills the file system, leaving `pages` pages free. */
function fill(pages: number): string {
  const spacer = join(mnt, 'spacer')
  writeFileSync(spacer, Buffer.alloc(pages * PAGE, 1))
  const filler = join(mnt, 'filler')
  const fd = openSync(filler, 'w')
  const chunk = Buffer.alloc(64 * 1024, 2)
  try {
    for (;;) writeSync(fd, chunk)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e
  }
  // The last partial pages too.
  try {
    for (;;) writeSync(fd, chunk, 0, 512)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e
  } finally {
    closeSync(fd)
  }
  unlinkSync(spacer)
  return filler
}

const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)

describe('a nearly full disk', () => {
  test('the previous history.json survives a deploy that cannot write the new one', async () => {
    const base = join(mnt, 'app')
    const src = (id: string) => writeFiles(join(root, 'src', id), { 'index.html': id })
    const r1 = await runAction('deploy-atomic', { inputs: { source: src('r1'), path: base, 'release-id': 'r1' } })
    expect(r1.code).toBe(0)
    // A long-lived target: a history of many events (~60 KB), larger than the space left.
    const file = join(base, '.gantry', 'history.json')
    const h = JSON.parse(readFileSync(file, 'utf8'))
    for (let i = 0; i < 450; i++)
      h.events.push({ at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), kind: 'deploy', to: 'r1', run: `${i}` })
    writeFileSync(file, JSON.stringify(h, null, 2) + '\n')
    const before = readFileSync(file, 'utf8')
    expect(before.length).toBeGreaterThan(40_000)

    // One page for the lock, two for the start of the new history: a short write.
    const filler = fill(3)
    const r2 = await runAction('deploy-atomic', { inputs: { source: src('r2'), path: base, 'release-id': 'r2' } })
    expect(r2.code).toBe(1)
    expect(errors(r2)).toEqual([expect.stringMatching(/history\.json.*no space left on device/i)])
    expect(readFileSync(file, 'utf8')).toBe(before)
    expect(readlinkSync(join(base, 'current'))).toBe('releases/r1')
    expect(readdirSync(join(base, '.gantry')).filter((n) => n.includes('.tmp-'))).toEqual([])

    unlinkSync(filler)
    const r3 = await runAction('deploy-atomic', { inputs: { source: src('r2'), path: base, 'release-id': 'r2' } })
    expect(errors(r3)).toEqual([])
    expect(r3.code).toBe(0)
    const after = JSON.parse(readFileSync(file, 'utf8'))
    expect(after.events.length).toBe(h.events.length + 1)
    expect(after.releases.map((x: { id: string }) => x.id)).toEqual(['r1', 'r2'])
  })
})
