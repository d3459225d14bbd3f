// @gantry/analysis against SciPy live: Debian's /usr/bin/python3 with
// python3-scipy runs test/fixtures/analysis/generate.py on a fresh seed, and
// every answer is compared as the unit test compares the recorded ones.
// Fails (never skips) when python3-scipy is missing.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from '@jest/globals'
import { checkAgainstScipy, type ScipyFixture } from '../helpers/analysis-reference.js'

const PYTHON = '/usr/bin/python3'
const SCRIPT = fileURLToPath(new URL('../fixtures/analysis/generate.py', import.meta.url))

function scipy(seed: number): ScipyFixture {
  try {
    execFileSync(PYTHON, ['-c', 'import scipy'], { timeout: 60_000, stdio: 'pipe' })
  } catch (e) {
    throw new Error(`${PYTHON} cannot import scipy (apt-get install -y python3-scipy): ${String(e)}`)
  }
  const out = execFileSync(PYTHON, [SCRIPT, '--seed', String(seed), '--cases', '120', '--fisher', '120'], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 2 ** 20
  })
  return JSON.parse(out) as ScipyFixture
}

describe('analysis against SciPy, live', () => {
  test('fresh vectors and tables: U, p, method, Hodges-Lehmann and Fisher agree', () => {
    const seed = Date.now() % 2 ** 31
    const doc = scipy(seed)
    expect(doc.scipy).toMatch(/^1\./)
    try {
      const n = checkAgainstScipy(doc)
      expect(n.mwu).toBe(120)
      expect(n.hl).toBeGreaterThan(30)
    } catch (e) {
      throw new Error(`seed ${seed} (rerun generate.py --seed ${seed} --cases 120 --fisher 120): ${String(e)}`)
    }
  }, 180_000)
})
