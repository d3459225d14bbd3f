// build-cache through the shipped bundle: a local-dir that is a file (or sits
// under one) is an input error before any side effect. Before, it was
// accepted, the build ran, and the post step only warned that it could not save.
import { afterEach, describe, expect, test } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'

const temps: string[] = []
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true })
})

function workspace(): string {
  const base = mkdtempSync(join(tmpdir(), 'gantry-bc-localdir-'))
  temps.push(base)
  const ws = join(base, 'ws')
  mkdirSync(join(ws, 'src'), { recursive: true })
  writeFileSync(join(ws, 'src', 'index.js'), 'export {}\n')
  writeFileSync(join(base, 'a-file'), 'not a directory')
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ws, stdio: 'ignore' })
  git('init', '-q')
  git('add', '-A')
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init')
  return ws
}

describe('build-cache local-dir must be a directory (or not exist yet)', () => {
  test.each([
    [
      'a file',
      '../a-file',
      "Input 'local-dir' has invalid value '../a-file': it is a file: expected a directory path for the cache (created when missing)"
    ],
    [
      'under a file',
      '../a-file/cache',
      "Input 'local-dir' has invalid value '../a-file/cache': it is not reachable (ENOTDIR): expected a directory path for the cache (created when missing)"
    ]
  ])('%s: one line before any side effect', async (_what, localDir, message) => {
    const ws = workspace()
    const r = await runAction('build-cache', {
      workspace: ws,
      cwd: ws,
      inputs: { path: 'dist', backend: 'local', 'local-dir': localDir }
    })
    expect(r.code).toBe(1)
    expect(r.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toEqual([message])
    expect(r.stdout).not.toMatch(/\n\s+at /)
    expect(r.outputs).toEqual({})
    expect(r.state).toEqual({})
    expect(existsSync(join(r.workDir, 'runner-temp', 'gantry'))).toBe(false)
    expect(r.post).toBeUndefined()
  })

  test('local-dir with backend github is refused: it belongs to the local backend', async () => {
    const ws = workspace()
    const r = await runAction('build-cache', {
      workspace: ws,
      cwd: ws,
      inputs: { path: 'dist', backend: 'github', 'local-dir': '../cache' }
    })
    expect(r.code).toBe(1)
    expect(r.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toEqual([
      "Input 'local-dir' has invalid value '../cache': it is for backend 'local', but backend is 'github'; expected backend: local, or no local-dir"
    ])
    expect(r.state).toEqual({})
  })

  test('a local-dir that does not exist yet is fine (it is created)', async () => {
    const ws = workspace()
    const r = await runAction('build-cache', {
      workspace: ws,
      cwd: ws,
      inputs: { path: 'dist', backend: 'local', 'local-dir': '../new-cache' },
      post: false
    })
    expect(r.annotations.filter((a) => a.level === 'error')).toEqual([])
    expect(r.code).toBe(0)
  })
})
