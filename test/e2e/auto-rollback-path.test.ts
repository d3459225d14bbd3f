// auto-rollback with a mistyped `path` (issue 14): one line naming the input,
// never a raw ENOENT from the lock's temp file, and nothing created there.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'

jest.setTimeout(90_000)

let root: string
let base: string

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-rollback-path-'))
  base = join(root, 'app')
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)

describe('a path with no releases', () => {
  test('now, or with a watch: one line naming path, before anything is watched or created', async () => {
    const src = join(root, 'src')
    mkdirSync(src)
    writeFileSync(join(src, 'index.html'), 'v1')
    expect((await runAction('deploy-atomic', { inputs: { source: src, path: base, 'release-id': 'r1' } })).code).toBe(0)
    const typo = join(root, 'ap')
    const cases: Array<Record<string, string>> = [
      { path: typo },
      { path: typo, watch: '10m', 'health-url': 'http://127.0.0.1:9/healthz' }
    ]
    for (const inputs of cases) {
      const started = Date.now()
      const r = await runAction('auto-rollback', { inputs })
      expect(r.code).toBe(1)
      expect(errors(r)).toEqual([
        expect.stringMatching(
          /^Input 'path' has invalid value '.*': local:.* holds no releases \(no \.gantry\/ or releases\/ there\); expected the path deploy-atomic deployed to; nothing changed$/
        )
      ])
      expect(r.stdout + r.stderr).not.toMatch(/ENOENT|ENOTDIR|\.lock\.tmp|\n\s+at /)
      expect(Date.now() - started).toBeLessThan(20_000)
    }
    expect(existsSync(typo)).toBe(false)

    const file = await runAction('auto-rollback', { inputs: { path: join(base, 'current', 'index.html') } })
    expect(errors(file)).toEqual([
      expect.stringMatching(
        /^Input 'path' has invalid value '.*index\.html': .*index\.html is a file; expected a directory/
      )
    ])
  })
})
