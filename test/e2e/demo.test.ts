// `npm run demo` is the README's main command: it must pass, and it must run
// the sample app's workflows, and through them Gantry's deploy.yml and
// rollback.yml, from their YAML (not a script that mirrors them).
import { describe, expect, test } from '@jest/globals'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from '../harness/runner.mjs'

function runDemo(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: { demo: string } }
    // The command npm runs, without npm: `node <flags> scripts/demo.mjs`.
    const args = pkg.scripts.demo.split(' ').slice(1)
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d))
    child.stderr.setEncoding('utf8').on('data', (d) => (out += d))
    child.on('close', (code) => resolve({ code, out }))
  })
}

describe('npm run demo', () => {
  test('passes, running deploy.yml and rollback.yml step by step from their YAML', async () => {
    const { code, out } = await runDemo()
    expect(out).toContain('✅ demo passed')
    expect(code).toBe(0)
    const steps = [...out.matchAll(/^▶ (\S+): (.+?) {2}\[/gm)].map((m) => `${m[1]}: ${m[2]}`)
    // deploy.yml's own step names, in its order, on the happy path and on the rollback path.
    expect(steps).toEqual(
      expect.arrayContaining([
        'deploy/deploy: Deploy',
        'deploy/deploy: Health gate',
        'deploy/deploy: Smoke tests',
        'deploy/deploy: Roll back',
        'deploy/deploy: Gate the restored release',
        'rollback/rollback: Roll back'
      ])
    )
    expect(out).toMatch(/■ ship a broken v2[\s\S]*Roll back {2}\[actions\/auto-rollback\] success[\s\S]*run failure/)
    expect(out).toMatch(/rollback button: (\S+) → (\S+); current → releases\/\2/)
    expect(out).toMatch(/notifications: started, success, started, success, started, rolled-back, rolled-back/)
  }, 120_000)
})
