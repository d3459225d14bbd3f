// `npm run demo` is the README's main command: it must pass, and it must run
// the bundles in the order of deploy.yml (the workflow users run on GitHub).
import { describe, expect, test } from '@jest/globals'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { repoRoot } from '../harness/runner.mjs'

type Step = { id?: string; uses?: string; if?: string }

function runDemo(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'scripts', 'demo.mjs')], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d))
    child.stderr.setEncoding('utf8').on('data', (d) => (out += d))
    child.on('close', (code) => resolve({ code, out }))
  })
}

describe('npm run demo', () => {
  test('passes, and follows deploy.yml on the happy path and on the rollback path', async () => {
    const { code, out } = await runDemo()
    expect(out).toContain('✅ demo passed')
    expect(code).toBe(0)

    const wf = parse(readFileSync(join(repoRoot, '.github', 'workflows', 'deploy.yml'), 'utf8')) as {
      jobs: { deploy: { steps: Step[] } }
    }
    const steps = wf.jobs.deploy.steps.filter((s) => s.uses?.startsWith('./.gantry/actions/'))
    const name = (s: Step) => s.uses!.split('/').pop()!
    const onlyAfterFailure = new Set(['rollback', 'regate'])
    const happy = steps.filter((s) => !onlyAfterFailure.has(s.id ?? '')).map(name)
    // After a failed gate the smoke tests are skipped and the rollback path runs.
    const rollback = steps.filter((s) => s.id !== 'smoke').map(name)

    const ran = [...out.matchAll(/^▶ (\S+)/gm)].map((m) => m[1])
    // build-cache opens each build; the deploys follow it.
    expect(ran[0]).toBe('build-cache')
    const second = ran.indexOf('build-cache', 1)
    expect(ran.slice(1, second)).toEqual(happy)
    expect(ran.slice(second + 1)).toEqual(rollback)
    expect(out).toMatch(/rolled back: true \(v2 → v1\); final gate healthy: true/)
  }, 120_000)
})
