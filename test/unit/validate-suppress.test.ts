// `npm run validate` ignores one kind of actionlint finding (scripts/actionlint.mjs):
// actionlint v1.7.7 predates GitHub's self-repository reference (`uses: $/…`), which
// Gantry's workflows use for their own actions and for pipeline.yml's call of deploy.yml.
// This pins that exactly those findings are ignored, that GitHub's parser accepts the
// form (so the suppression hides no real error), and that validate's own check — the
// path exists here, no @ref — stands in for what actionlint can no longer check.
import { describe, expect, test } from '@jest/globals'
import { existsSync } from 'node:fs'
import { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } from '@actions/workflow-parser'
import {
  runLint as lintText,
  isSuppressed as suppressed,
  selfReferenceFindings as selfRefs
  // @ts-expect-error: a plain .mjs script, typed by its JSDoc
} from '../../scripts/actionlint.mjs'
import { repoRoot } from '../harness/runner.mjs'

type Finding = { message: string; line: number; column: number; kind: string }
const isSuppressed = suppressed as (f: Finding) => boolean
// actionlint loaded as scripts/validate.mjs loads it (the same module).
const runLint = lintText as (content: string, path: string) => Promise<Finding[]>
const selfReferenceFindings = selfRefs as (content: string, root: string, exists: (p: string) => boolean) => string[]

const stepUses = (uses: string) => `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: ${uses}
`
const jobUses = (uses: string) => `on: push
jobs:
  a:
    uses: ${uses}
`

describe('the actionlint suppression', () => {
  test('actionlint reports a $/ step and a $/ reusable-workflow call, and validate ignores exactly those', async () => {
    const [step] = await runLint(stepUses('$/actions/notify'), 'x.yml')
    expect(step).toMatchObject({ kind: 'action', line: 6 })
    expect(step.message).toMatch(/^specifying action "\$\/actions\/notify" in invalid format because ref is missing/)
    expect(isSuppressed(step)).toBe(true)
    const [call] = await runLint(jobUses('$/.github/workflows/deploy.yml'), 'x.yml')
    expect(call).toMatchObject({ kind: 'workflow-call', line: 4 })
    expect(isSuppressed(call)).toBe(true)
  })

  test.each(['acme/tool', 'acme/tool/sub'])(
    'the same finding for %s (a forgotten @ref) is still reported',
    async (uses) => {
      const findings = await runLint(stepUses(uses), 'x.yml')
      expect(findings).toHaveLength(1)
      expect(findings[0].message).toMatch(/invalid format because ref is missing/)
      expect(isSuppressed(findings[0])).toBe(false)
    }
  )

  test('a call with neither form is still reported; so is any other kind of finding', async () => {
    const [call] = await runLint(jobUses('acme/tool/.github/workflows/x.yml'), 'x.yml')
    expect(call.kind).toBe('workflow-call')
    expect(isSuppressed(call)).toBe(false)
    const [step] = await runLint(stepUses('$/actions/notify'), 'x.yml')
    expect(isSuppressed({ ...step, kind: 'expression' })).toBe(false)
    const [expr] = await runLint(
      stepUses('actions/checkout@v5\n        with:\n          ref: ${{ job.made_up }}'),
      'x.yml'
    )
    expect(expr.kind).toBe('expression')
    expect(isSuppressed(expr)).toBe(false)
  })

  test("GitHub's parser accepts $/ for steps and calls, so the suppressed findings are not errors", async () => {
    const trace = new NoOperationTraceWriter()
    for (const content of [stepUses('$/actions/notify'), jobUses('$/.github/workflows/x.yml')]) {
      const parsed = parseWorkflow({ name: 'x.yml', content }, trace)
      expect(parsed.context.errors.getErrors()).toEqual([])
      const tpl = await convertWorkflowTemplate(parsed.context, parsed.value!, undefined, {})
      expect(tpl.errors ?? []).toEqual([])
    }
  })

  test("validate's own check: a $/ path must exist in this repository and carry no @ref", () => {
    const wf = `jobs:\n  a:\n    steps:\n      - uses: $/actions/notify\n      - uses: $/actions/nope\n      - uses: '$/actions/notify@v1'\n  b:\n    uses: $/.github/workflows/deploy.yml\n  c:\n    uses: $/.github/workflows/nope.yml\n`
    expect(selfReferenceFindings(wf, repoRoot, existsSync)).toEqual([
      'line 5: $/actions/nope: no such action in this repository',
      'line 6: $/actions/notify@v1: a $/ reference takes no @ref',
      'line 10: $/.github/workflows/nope.yml: no such workflow in this repository'
    ])
  })
})
