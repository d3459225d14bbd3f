// Rules the workflows must keep beyond what the parsers check (npm run validate):
// untrusted values reach scripts only through env:, permissions are minimal,
// the actions come from Gantry's own commit, and nested calls share one pinned ref.
import { describe, expect, test } from '@jest/globals'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { repoRoot } from '../harness/runner.mjs'

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; id?: string }
type Job = { steps?: Step[]; uses?: string; permissions?: unknown }
type Workflow = { on: unknown; permissions?: Record<string, string> | string; jobs: Record<string, Job> }

const dirs = [
  join(repoRoot, '.github', 'workflows'),
  join(repoRoot, 'examples', 'workflows'),
  join(repoRoot, 'examples', 'app', '.github', 'workflows')
]
const files = dirs.flatMap((d) =>
  readdirSync(d)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => join(d, f))
)
const load = (f: string) => parse(readFileSync(f, 'utf8')) as Workflow
const short = (f: string) => f.slice(repoRoot.length + 1)

describe.each(files.map((f) => [short(f), f]))('%s', (_name, file) => {
  const wf = load(file)

  test('no ${{ }} inside run: scripts (values go through env:)', () => {
    for (const job of Object.values(wf.jobs))
      for (const step of job.steps ?? [])
        expect({ run: step.run ?? '', ok: !(step.run ?? '').includes('${{') }).toEqual({
          run: step.run ?? '',
          ok: true
        })
  })

  test('top-level permissions are read-only, but for deployments a deploy needs', () => {
    expect(wf.permissions).toBeDefined()
    for (const [scope, level] of Object.entries(wf.permissions as Record<string, string>))
      expect({
        scope,
        level,
        ok: level === 'read' || level === 'none' || (scope === 'deployments' && level === 'write')
      }).toEqual({ scope, level, ok: true })
  })

  test("Gantry's actions come from Gantry's own commit: $/actions/<name> inside Gantry, a pinned ref in examples", () => {
    const inGantry = short(file).startsWith('.github/')
    for (const job of Object.values(wf.jobs))
      for (const step of job.steps ?? [])
        if (step.uses && !step.uses.startsWith('actions/'))
          expect(step.uses).toMatch(inGantry ? /^\$\/actions\/[a-z-]+$/ : /^gantry-dev\/gantry\/actions\/[a-z-]+@v1$/)
  })
})

describe('reusable workflow calls', () => {
  const calls = files.flatMap((f) =>
    Object.values(load(f).jobs)
      .map((j) => ({ file: short(f), uses: j.uses }))
      .filter((c): c is { file: string; uses: string } => typeof c.uses === 'string')
  )
  test('inside Gantry a call into Gantry is $/ (pinned with its caller); examples pin the major tag', () => {
    expect(calls.length).toBeGreaterThan(0)
    for (const c of calls) {
      if (c.file.startsWith('.github/'))
        expect({ ...c, ok: c.uses.startsWith('$/') || c.uses.startsWith('./') }).toEqual({ ...c, ok: true })
      else expect(c.uses).toMatch(/^gantry-dev\/gantry\/\.github\/workflows\/[a-z-]+\.yml@v1$/)
    }
  })
})

describe('deploy.yml', () => {
  const wf = load(join(repoRoot, '.github', 'workflows', 'deploy.yml'))
  const steps = wf.jobs.deploy?.steps ?? []
  test('runs the actions in the order of DESIGN.md', () => {
    const order = steps.filter((s) => s.uses?.startsWith('$/actions/')).map((s) => s.uses!.split('/').pop())
    expect(order).toEqual([
      'notify',
      'deploy-atomic',
      'health-gate',
      'smoke-test',
      // blue-green only: the traffic to the new slot; canary only: the judged steps; then the public URL's gate.
      'traffic',
      'canary',
      'health-gate',
      'auto-rollback',
      'health-gate',
      'notify'
    ])
  })
  test('serialises deploys per environment and never cancels one in progress', () => {
    const job = wf.jobs.deploy as unknown as { concurrency: { group: string; 'cancel-in-progress': boolean } }
    expect(job.concurrency.group).toContain('inputs.environment')
    expect(job.concurrency['cancel-in-progress']).toBe(false)
  })
})

describe('reusable workflow interfaces', () => {
  const docs = readFileSync(join(repoRoot, 'docs', 'workflows.md'), 'utf8')
  describe.each(['deploy.yml', 'pipeline.yml', 'rollback.yml'])('%s', (f) => {
    const call = (load(join(repoRoot, '.github', 'workflows', f)).on as Record<string, Record<string, unknown>>)
      .workflow_call as Record<string, Record<string, { description?: string; type?: string }>>
    test('every input is typed and described, and documented in docs/workflows.md', () => {
      for (const [name, def] of Object.entries(call.inputs ?? {})) {
        expect({ name, typed: !!def.type, described: (def.description ?? '').length > 5 }).toEqual({
          name,
          typed: true,
          described: true
        })
        expect({ name, documented: docs.includes(`\`${name}\``) }).toEqual({ name, documented: true })
      }
    })
    test('every secret and output is described', () => {
      for (const [name, def] of [...Object.entries(call.secrets ?? {}), ...Object.entries(call.outputs ?? {})])
        expect({ name, described: (def.description ?? '').length > 5 }).toEqual({ name, described: true })
    })
  })
})
