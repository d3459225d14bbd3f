// `npm run validate` ignores one kind of actionlint finding (scripts/actionlint-suppress.mjs):
// actionlint v1.7.7 does not know job.workflow_repository / job.workflow_sha, which the
// reusable workflows use. This pins that exactly those two are ignored, and why the
// suppression must stay that narrow: GitHub's parser does not check job.* names at all,
// so a suppressed name would be checked by nothing.
import { describe, expect, test } from '@jest/globals'
import { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } from '@actions/workflow-parser'
// @ts-expect-error: a plain .mjs script, typed by its JSDoc
import { runLint as lintText, isSuppressed as suppressed } from '../../scripts/actionlint.mjs'

type Finding = { message: string; line: number; column: number; kind: string }
const isSuppressed = suppressed as (f: Finding) => boolean
// actionlint loaded as scripts/validate.mjs loads it (the same module).
const runLint = lintText as (content: string, path: string) => Promise<Finding[]>

const workflow = (expr: string) => `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "$V"
        env:
          V: \${{ ${expr} }}
`
const lint = (expr: string) => runLint(workflow(expr), 'x.yml')

describe('the actionlint suppression', () => {
  test.each(['job.workflow_repository', 'job.workflow_sha'])(
    'actionlint reports %s, and validate ignores exactly that finding',
    async (expr) => {
      const findings = await lint(expr)
      expect(findings).toHaveLength(1)
      expect(findings[0]).toMatchObject({ kind: 'expression', line: 8 })
      expect(findings[0].message).toMatch(new RegExp(`^property "${expr.slice(4)}" is not defined in object type \\{`))
      expect(isSuppressed(findings[0])).toBe(true)
    }
  )

  test.each(['job.made_up', 'job.workflow_shas', 'github.workflow_sha_typo'])(
    'actionlint reports %s, and validate does not ignore it',
    async (expr) => {
      const findings = await lint(expr)
      expect(findings).toHaveLength(1)
      expect(isSuppressed(findings[0])).toBe(false)
    }
  )

  test('only an expression finding with that exact message is ignored', async () => {
    const [finding] = await lint('job.workflow_sha')
    expect(isSuppressed({ ...finding, kind: 'syntax-check' })).toBe(false)
    expect(
      isSuppressed({ ...finding, message: finding.message.replace('{container:', '{other: string; container:') })
    ).toBe(false)
    expect(await lint('job.status')).toEqual([])
  })

  test("GitHub's parser accepts job.made_up: it does not check the names, so the suppression must stay narrow", async () => {
    const trace = new NoOperationTraceWriter()
    const parsed = parseWorkflow({ name: 'x.yml', content: workflow('job.made_up') }, trace)
    expect(parsed.context.errors.getErrors()).toEqual([])
    const tpl = await convertWorkflowTemplate(parsed.context, parsed.value!, undefined, {})
    expect(tpl.errors ?? []).toEqual([])
    // It does check the context names themselves.
    const bad = parseWorkflow({ name: 'x.yml', content: workflow('made_up.x') }, trace)
    expect(bad.context.errors.getErrors().map((e) => e.rawMessage)).toEqual(["Unrecognized named-value: 'made_up'"])
  })
})
