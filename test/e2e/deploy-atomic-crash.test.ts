// Crash safety: the shipped bundle is killed with SIGKILL at random points of
// a redeploy, again and again. After every kill `current` must name a complete
// release whose manifest verifies, history.json must parse, and the next deploy
// must succeed (breaking the dead run's lock and cleaning its leftovers).
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseHistory } from '@gantry/release'
import { killAtRandomPoints } from '../helpers/crash-loop.js'
import { expectCurrentVerifies } from '../helpers/release-invariants.js'
import { runAction } from '../harness/runner.mjs'

jest.setTimeout(300_000)

const RUNS = 32
let root: string
let src: string
let base: string

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-crash-'))
  src = join(root, 'src')
  base = join(root, 'app')
  for (let d = 0; d < 40; d++) {
    mkdirSync(join(src, `d${d}`), { recursive: true })
    for (let f = 0; f < 20; f++) writeFileSync(join(src, `d${d}`, `f${f}.txt`), `${d}/${f} `.repeat(200))
  }
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** The invariant: current names a complete release whose manifest verifies. */
const checkCurrent = (): string => expectCurrentVerifies(base, 800)

describe('kill -9 at random points', () => {
  test(`${RUNS} killed redeploys never leave current on an incomplete release`, async () => {
    const first = await runAction('deploy-atomic', { inputs: { source: src, path: base, keep: 3 } })
    expect(first.code).toBe(0)
    const outcomes = await killAtRandomPoints({
      runs: RUNS,
      // Change 1% of the files so each release differs (copies and links both happen).
      change: (n) => {
        for (let k = 0; k < 8; k++)
          writeFileSync(join(src, `d${(n + 40 + k) % 40}`, `f${k}.txt`), `run ${n} file ${k}\n`)
      },
      deploy: (_n, onSpawn) => runAction('deploy-atomic', { inputs: { source: src, path: base, keep: 3 }, onSpawn }),
      from: 0.3,
      spread: 0.8,
      check: checkCurrent
    })
    expect(outcomes.killed).toBeGreaterThan(0)

    // The next deploy succeeds, breaks the dead runs' lock and cleans their leftovers.
    writeFileSync(join(src, 'final.txt'), 'final')
    const last = await runAction('deploy-atomic', { inputs: { source: src, path: base, keep: 3 } })
    expect({ code: last.code, stdout: last.code === 0 ? '' : last.stdout }).toEqual({ code: 0, stdout: '' })
    expect(checkCurrent()).toBe(last.outputs['release-id'])
    expect(readFileSync(join(base, 'current', 'final.txt'), 'utf8')).toBe('final')
    expect(readdirSync(join(base, 'releases')).filter((n) => n.startsWith('.'))).toEqual([])
    expect(existsSync(join(base, '.gantry', 'lock'))).toBe(false)
    const h = parseHistory(readFileSync(join(base, '.gantry', 'history.json'), 'utf8'))
    expect(h.releases.at(-1)?.id).toBe(last.outputs['release-id'])
  })
})
