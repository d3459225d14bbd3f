// self-test.yml cannot run here (no GitHub), so its set-up script is tested
// as the workflow runs it: seed v1 with the deploy-atomic bundle, then serve.
import { afterAll, describe, expect, test } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadActionYml, repoRoot } from '../harness/runner.mjs'
import { freePort, waitFor } from '../helpers/http.js'

let pid: number | undefined
afterAll(() => {
  if (pid) process.kill(pid, 'SIGTERM')
})

describe('examples/self-test/seed.mjs', () => {
  test("gives every input of deploy-atomic's action.yml, each with its default (as the runner does)", () => {
    const text = readFileSync(join(repoRoot, 'examples', 'self-test', 'seed.mjs'), 'utf8')
    const block = /const inputs = \{\n([\s\S]*?)\n {2}\}/.exec(text)![1]
    const given = Object.fromEntries(
      [...block.matchAll(/^\s+'?([a-z-]+)'?: (.+?),?$/gm)].map((m) => [m[1], m[2].replace(/^'(.*)'$/, '$1')])
    )
    const meta = loadActionYml('deploy-atomic')
    expect(Object.keys(given).sort()).toEqual(Object.keys(meta.inputs ?? {}).sort())
    // Defaults the workflow's expressions fill (the token) aside: what action.yml says, or the seed's own value.
    for (const [k, def] of Object.entries(meta.inputs ?? {}))
      if (def.default && !String(def.default).includes('${{') && !['out', 'base'].includes(given[k]!))
        expect({ k, v: given[k] }).toEqual({ k, v: def.default })
  })

  test('deploys v1 through the bundle with every input the runner would give, then serves current', async () => {
    const base = join(mkdtempSync(join(tmpdir(), 'gantry-seed-test-')), 'srv')
    const port = await freePort()
    const r = spawnSync(
      process.execPath,
      [join(repoRoot, 'examples', 'self-test', 'seed.mjs'), repoRoot, base, String(port)],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: process.env.HOME, RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'gantry-rt-')) },
        timeout: 60_000
      }
    )
    expect({ status: r.status, stderr: r.status === 0 ? '' : r.stdout + r.stderr }).toEqual({ status: 0, stderr: '' })
    pid = Number(/\(pid (\d+)\)/.exec(r.stdout)?.[1])
    expect(pid).toBeGreaterThan(0)
    expect(readlinkSync(join(base, 'current'))).toMatch(/^releases\/\d{8}T\d{6}Z-/)
    let body = ''
    await waitFor(
      async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/api/version`)
          body = await res.text()
          return res.ok
        } catch {
          return false
        }
      },
      10_000,
      'the sample app'
    )
    expect(JSON.parse(body)).toEqual({ name: 'gantry-sample', version: 'v1' })
  })
})
