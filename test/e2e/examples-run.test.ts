// The caller workflows in examples/workflows/, through the local workflow runner
// where they can run here, and their secrets against the names the README tells
// users to set. (Their deploy jobs go to ssh hosts; those run in test:system.)
import { afterAll, describe, expect, test } from '@jest/globals'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { repoRoot } from '../harness/runner.mjs'
import { allSteps, runWorkflow } from '../harness/workflow.mjs'

const root = mkdtempSync(join(tmpdir(), 'gantry-examples-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const examples = join(repoRoot, 'examples', 'workflows')

describe('examples/workflows/static-site-ssh.yml', () => {
  test('its build job uploads the whole site, hidden files too (.well-known/ is part of a site)', async () => {
    const site = join(root, 'site')
    mkdirSync(site, { recursive: true })
    // A site repository: `npm ci && npm run build` writes public/ with a .well-known/ file.
    writeFileSync(
      join(site, 'package.json'),
      JSON.stringify({
        name: 'site',
        version: '1.0.0',
        scripts: {
          build:
            "node -e \"const f=require('fs');f.mkdirSync('public/.well-known',{recursive:true});f.writeFileSync('public/index.html','hi');f.writeFileSync('public/.well-known/security.txt','Contact: x')\""
        }
      })
    )
    writeFileSync(
      join(site, 'package-lock.json'),
      JSON.stringify({
        name: 'site',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: { '': { name: 'site', version: '1.0.0' } }
      })
    )
    // The example's own build job, and a job standing in for the deploy that lists what it received.
    const wf = parse(readFileSync(join(examples, 'static-site-ssh.yml'), 'utf8'))
    wf.jobs = {
      build: wf.jobs.build,
      received: {
        needs: 'build',
        'runs-on': 'ubuntu-latest',
        steps: [
          { uses: 'actions/download-artifact@v5', with: { name: 'site', path: 'got' } },
          { id: 'ls', run: 'echo "files=$(cd got && find . -type f | sort | tr "\\n" " ")" >> "$GITHUB_OUTPUT"' }
        ],
        outputs: { files: '${{ steps.ls.outputs.files }}' }
      }
    }
    const file = join(root, 'static-site-build.yml')
    writeFileSync(file, stringify(wf))
    const r = await runWorkflow({
      workflow: file,
      repository: 'acme/site',
      trees: { 'acme/site': site },
      workDir: join(root, 'run')
    })
    expect(
      allSteps(r)
        .filter((s) => s.outcome !== 'success')
        .map((s) => [s.name, s.stdout, s.stderr])
    ).toEqual([])
    expect(r.jobs.received.outputs.files.trim().split(' ')).toEqual(['./.well-known/security.txt', './index.html'])
  }, 120_000)
})

describe('the secrets the examples read are the names the README tells users to set', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')
  const documented = new Set([...readme.matchAll(/`(GANTRY_[A-Z_]+)`/g)].map((m) => m[1]))
  test.each(readdirSync(examples).filter((f) => f.endsWith('.yml')))('%s', (f) => {
    const text = readFileSync(join(examples, f), 'utf8')
    const used = [...text.matchAll(/secrets\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1])
    for (const name of used) expect({ name, documented: documented.has(name) }).toEqual({ name, documented: true })
    // A call that passes secrets either inherits them or maps documented names only.
    expect(text).toMatch(/secrets: inherit/)
  })
})
