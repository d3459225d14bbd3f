// The local workflow runner's own behaviour (test/harness/workflow.mjs): what
// @actions/expressions leaves to the runner — status functions, outcome versus
// conclusion, needs, skipped steps, hashFiles — and the strictness that makes an
// unresolvable expression fail a test run instead of reading as null.
import { afterAll, describe, expect, test } from '@jest/globals'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashFiles as globHashFiles } from '@actions/glob'
import { allSteps, runWorkflow, WorkflowError } from '../harness/workflow.mjs'
// @ts-expect-error: plain ESM, typed by JSDoc
import { hashFiles } from '../harness/workflow/expressions.mjs'
// @ts-expect-error: plain ESM, typed by JSDoc
import { isHidden } from '../harness/workflow/stand-ins.mjs'

const root = mkdtempSync(join(tmpdir(), 'gantry-wf-unit-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
function workflow(yaml: string): string {
  const f = join(root, `wf-${++n}.yml`)
  writeFileSync(f, `name: t\non: push\npermissions:\n  contents: read\n${yaml}`)
  return f
}
const run = (yaml: string, opts: Partial<Parameters<typeof runWorkflow>[0]> = {}) =>
  runWorkflow({ workflow: workflow(yaml), workDir: mkdtempSync(join(root, 'run-')), ...opts })
const byName = (r: Awaited<ReturnType<typeof runWorkflow>>) =>
  Object.fromEntries(allSteps(r).map((s) => [s.name, s.outcome]))

describe('status functions and outcomes', () => {
  test('after a failed step: default steps skip, failure() and always() run; the job fails', async () => {
    const r = await run(`jobs:
  a:
    runs-on: x
    steps:
      - name: fails
        run: exit 1
      - name: default
        run: echo no
      - name: on failure
        if: failure()
        run: echo yes
      - name: always
        if: always()
        run: echo yes
      - name: success
        if: success()
        run: echo no
`)
    expect(byName(r)).toEqual({
      fails: 'failure',
      default: 'skipped',
      'on failure': 'success',
      always: 'success',
      success: 'skipped'
    })
    expect(r.jobs.a.result).toBe('failure')
    expect(r.result).toBe('failure')
  })

  test('continue-on-error: outcome failure, conclusion success, the job stays green; job.status is read live', async () => {
    const r = await run(`jobs:
  a:
    runs-on: x
    outputs:
      status: \${{ steps.after.outputs.status }}
    steps:
      - id: soft
        continue-on-error: true
        run: exit 3
      - id: after
        env:
          O: \${{ steps.soft.outcome }}
          C: \${{ steps.soft.conclusion }}
          J: \${{ job.status }}
        run: echo "status=$O/$C/$J" >> "$GITHUB_OUTPUT"
`)
    expect(r.result).toBe('success')
    expect(r.jobs.a.outputs.status).toBe('failure/success/success')
  })

  test("a skipped step's outputs are null: `|| 'false'` gives the fallback, as deploy.yml relies on", async () => {
    const r = await run(`jobs:
  a:
    runs-on: x
    outputs:
      rolled: \${{ steps.rb.outputs.rolled-back || 'false' }}
      outcome: \${{ steps.rb.outcome }}
    steps:
      - id: rb
        if: false
        run: echo "rolled-back=true" >> "$GITHUB_OUTPUT"
`)
    expect(r.jobs.a.outputs).toEqual({ rolled: 'false', outcome: 'skipped' })
  })

  test('jobs: needs outputs and results; failure() reaches through an ancestor; a skipped need skips its dependents', async () => {
    const r = await run(`jobs:
  a:
    runs-on: x
    outputs:
      v: \${{ steps.s.outputs.v }}
    steps:
      - id: s
        run: echo "v=42" >> "$GITHUB_OUTPUT"
  b:
    needs: a
    runs-on: x
    steps:
      - env:
          V: \${{ needs.a.outputs.v }}
        run: test "$V" = 42 && exit 1
  c:
    needs: b
    runs-on: x
    steps:
      - run: echo never
  d:
    needs: c
    if: failure()
    runs-on: x
    steps:
      - run: echo "a grand-child of the failed job"
  e:
    needs: c
    runs-on: x
    steps:
      - run: echo never
`)
    expect(Object.fromEntries(Object.entries(r.jobs).map(([k, j]) => [k, j.result]))).toEqual({
      a: 'success',
      b: 'failure',
      c: 'skipped',
      d: 'success',
      e: 'skipped'
    })
  })

  test('cancelled(): a cancelled run stops the running step; only always() and cancelled() steps run after', async () => {
    const ac = new AbortController()
    const p = run(
      `jobs:
  a:
    runs-on: x
    steps:
      - name: long
        run: echo started > "$RUNNER_TEMP/started"; sleep 30
      - name: default
        run: echo no
      - name: not cancelled
        if: \${{ !cancelled() }}
        run: echo no
      - name: on cancel
        if: cancelled()
        run: echo yes
      - name: always
        if: always()
        run: echo yes
`,
      {
        signal: ac.signal,
        onStep: () => undefined,
        log: (l) => {
          if (l.includes('job a: a')) setTimeout(() => ac.abort(), 300)
        }
      }
    )
    const r = await p
    expect(byName(r)).toEqual({
      long: 'cancelled',
      default: 'skipped',
      'not cancelled': 'skipped',
      'on cancel': 'success',
      always: 'success'
    })
    expect(r.result).toBe('cancelled')
  }, 30_000)
})

describe('an expression that cannot be resolved fails the run', () => {
  test.each([
    ['a step id', '${{ steps.nope.outputs.x }}', /steps\.nope is not defined/],
    ['an input', '${{ inputs.nope }}', /inputs\.nope is not defined/],
    ['a secret', '${{ secrets.NOPE }}', /secrets\.NOPE is not defined/],
    ['a github property', '${{ github.run_attemp }}', /github\.run_attemp is not defined/],
    ['a job property', '${{ job.made_up }}', /job\.made_up is not defined/],
    ['a need', '${{ needs.nope.result }}', /needs\.nope is not defined/]
  ])('%s', async (_what, expr, message) => {
    await expect(
      run(`jobs:
  a:
    runs-on: x
    steps:
      - env:
          X: ${expr}
        run: echo "$X"
`)
    ).rejects.toThrow(message)
  })

  test('an unknown context is refused by GitHub’s parser before anything runs', async () => {
    await expect(run(`jobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo \${{ made_up.x }}\n`)).rejects.toThrow(
      /Unrecognized named-value: 'made_up'/
    )
  })

  test('an action without a stand-in, and an input a stand-in does not have, fail instead of being ignored', async () => {
    await expect(run(`jobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: acme/tool@v1\n`)).rejects.toThrow(
      /no stand-in for acme\/tool@v1/
    )
    await expect(
      run(
        `jobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v5\n        with:\n          presist-credentials: false\n`
      )
    ).rejects.toThrow(WorkflowError)
  })

  test('vars are lenient (an unset variable is empty on GitHub too), and given ones resolve', async () => {
    const r = await run(
      `jobs:\n  a:\n    runs-on: x\n    outputs:\n      v: \${{ vars.SET }}/\${{ vars.UNSET || 'none' }}\n    steps:\n      - run: echo\n`,
      { vars: { SET: 'yes' } }
    )
    expect(r.jobs.a.outputs.v).toBe('yes/none')
  })
})

describe('secrets', () => {
  test('are masked in what the run returns, and ::add-mask:: values too', async () => {
    const r = await run(
      `jobs:\n  a:\n    runs-on: x\n    steps:\n      - env:\n          S: \${{ secrets.TOKEN }}\n        run: |\n          echo "::add-mask::later-secret"\n          echo "token $S and later-secret"\n`,
      { secrets: { TOKEN: 'hunter2hunter2' } }
    )
    const out = allSteps(r)[0].stdout!
    expect(out).toContain('hunter2hunter2')
    expect(r.mask(out)).toBe('::add-mask::***\ntoken *** and ***\n')
  })
})

describe('hashFiles()', () => {
  test('agrees with @actions/glob (the runner’s own implementation), and is empty when nothing matches', async () => {
    const ws = mkdtempSync(join(root, 'ws-'))
    for (const [f, c] of [
      ['package-lock.json', '{}'],
      ['src/a.ts', 'a'],
      ['src/b/c.ts', 'c'],
      ['src/b/d.js', 'd'],
      ['.hidden/e.ts', 'e']
    ]) {
      mkdirSync(join(ws, f, '..'), { recursive: true })
      writeFileSync(join(ws, f), c)
    }
    const saved = process.env.GITHUB_WORKSPACE
    process.env.GITHUB_WORKSPACE = ws
    try {
      for (const patterns of [
        ['**/*.ts'],
        ['src/**', '!src/b/d.js'],
        ['package-lock.json'],
        ['**/*.ts', '**/*.json']
      ]) {
        const theirs = await globHashFiles(
          patterns
            .map((p) => join(ws, p.replace(/^!/, '')))
            .map((p, i) => (patterns[i].startsWith('!') ? `!${p}` : p))
            .join('\n')
        )
        expect({ patterns, hash: hashFiles(ws, patterns) }).toEqual({ patterns, hash: theirs })
      }
    } finally {
      process.env.GITHUB_WORKSPACE = saved
    }
    expect(hashFiles(ws, ['nothing/**'])).toBe('')
  })
})

describe('upload-artifact v4 stand-in', () => {
  test('hidden files (a path component starting with .) are left out unless include-hidden-files', () => {
    expect(isHidden('.well-known/security.txt')).toBe(true)
    expect(isHidden('a/.env')).toBe(true)
    expect(isHidden('a/b.txt')).toBe(false)
  })
})

describe('where a reusable-workflow call resolves (the rule in workflow/load.mjs, docs/workflows.md "Pinning")', () => {
  // Three trees of inner.yml, each saying where it came from: Gantry at v1, Gantry at a
  // pinned sha, and the caller's repository.
  const tree = (label: string, outerUses?: string) => {
    const dir = mkdtempSync(join(root, `tree-${label}-`))
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true })
    writeFileSync(
      join(dir, '.github', 'workflows', 'inner.yml'),
      `on:\n  workflow_call:\n    outputs:\n      from:\n        value: \${{ jobs.a.outputs.from }}\njobs:\n  a:\n    runs-on: x\n    outputs:\n      from: ${label}\n    steps:\n      - run: echo\n`
    )
    if (outerUses)
      writeFileSync(
        join(dir, '.github', 'workflows', 'outer.yml'),
        `on:\n  workflow_call:\n    outputs:\n      from:\n        value: \${{ jobs.call.outputs.from }}\njobs:\n  call:\n    uses: ${outerUses}\n`
      )
    return dir
  }
  const pinned = 'c0ffee0000000000000000000000000000000002'
  test.each([
    ['$/ follows the commit the outer workflow was pinned to', '$/.github/workflows/inner.yml', 'pinned'],
    [
      'owner/repo@v1 runs whatever v1 is, whatever the caller pinned',
      'gantry-dev/gantry/.github/workflows/inner.yml@v1',
      'v1'
    ],
    ["./ is the run's own repository (the caller's), not Gantry's", './.github/workflows/inner.yml', 'caller']
  ])('%s', async (_rule, uses, expected) => {
    const r = await runWorkflow({
      workflow: `gantry-dev/gantry/.github/workflows/outer.yml@${pinned}`,
      event: 'workflow_call',
      workDir: mkdtempSync(join(root, 'run-')),
      trees: {
        'gantry-dev/gantry': { v1: tree('v1', uses), [pinned]: tree('pinned', uses) },
        'acme/shop': tree('caller')
      }
    })
    expect(r.outputs.from).toBe(expected)
  })
})

describe('block scalars holding ${{ }}', () => {
  test('read as GitHub reads them: indentation stripped, > folded (the parser alone keeps the raw source lines)', async () => {
    const r = await run(
      `jobs:
  a:
    runs-on: x
    outputs:
      literal: \${{ steps.s.outputs.literal }}
      folded: \${{ steps.s.outputs.folded }}
    steps:
      - id: s
        env:
          LITERAL: |
            \${{ vars.A }}/healthz
            {braces} 'quotes' \${{ vars.A }}/api
          FOLDED: >-
            \${{ vars.A }}
            folded
        run: |
          { echo "literal<<EOF"; printf '%s' "$LITERAL"; echo; echo EOF; } >> "$GITHUB_OUTPUT"
          echo "folded=$FOLDED" >> "$GITHUB_OUTPUT"
`,
      { vars: { A: 'http://x' } }
    )
    expect(r.jobs.a.outputs).toEqual({
      literal: "http://x/healthz\n{braces} 'quotes' http://x/api\n",
      folded: 'http://x folded'
    })
  })
})

describe('string literals', () => {
  test("every '' in a literal is one quote, as GitHub documents (@actions/expressions alone unescapes only the first)", async () => {
    const r = await run(
      `jobs:\n  a:\n    runs-on: x\n    outputs:\n      v: \${{ format('{0} ''q'' and ''r''', 'x') }}\n    steps:\n      - run: echo\n`
    )
    expect(r.jobs.a.outputs.v).toBe("x 'q' and 'r'")
  })
})
