// The rule by which `npm run validate` checks the YAML blocks of the Markdown files
// (scripts/md-snippets.mjs): which blocks are workflows, and how fragments are wrapped.
import { describe, expect, test } from '@jest/globals'
import { parse } from 'yaml'
// @ts-expect-error: a plain .mjs script, typed by its JSDoc
import { yamlBlocks as blocks, classify as kind } from '../../scripts/md-snippets.mjs'

type Classified = {
  kind: string
  content?: string
  header?: number
  indent?: number
  errors?: { line: number; col: number; message: string }[]
}
const yamlBlocks = blocks as (md: string) => { line: number; text: string }[]
const classify = kind as (text: string) => Classified

describe('yamlBlocks', () => {
  test('finds ```yaml and ```yml blocks (also indented in a list) with the line of their first line', () => {
    const md = [
      '# Title', //                      1
      '```sh', //                        2
      'run: not yaml', //                3
      '```', //                          4
      '```yaml', //                      5
      'a: 1', //                         6
      '```', //                          7
      '- item', //                       8
      '  ```yml', //                     9
      '  - run: echo hi', //             10
      '    shell: bash', //              11
      '  ```' //                         12
    ].join('\n')
    expect(yamlBlocks(md)).toEqual([
      { line: 6, text: 'a: 1\n' },
      { line: 10, text: '- run: echo hi\n  shell: bash\n' }
    ])
  })
})

describe('classify', () => {
  test('a block without jobs:, uses: or run: is YAML only: a smoke spec, an action.yml excerpt', () => {
    expect(classify('checks:\n  - name: home\n    request: { url: / }\n').kind).toBe('yaml')
    expect(classify('post-if: "success() || env.X == \'true\'"\n').kind).toBe('yaml')
  })

  test('a YAML syntax error is a finding, at its line in the block', () => {
    const c = classify('- id: a\n  run: echo "live: $R"\n')
    expect(c.kind).toBe('error')
    expect(c.errors).toEqual([
      { line: 2, col: 8, message: 'YAML: Nested mappings are not allowed in compact mappings' }
    ])
  })

  test('a whole workflow is checked as written', () => {
    const text = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n'
    expect(classify(text)).toEqual({ kind: 'workflow', content: text, header: 0, indent: 0 })
  })

  test.each([
    [
      'jobs without on:',
      'permissions: {}\njobs:\n  a:\n    runs-on: x\n    steps: [{ run: make }]\n',
      'jobs without on',
      1,
      0
    ],
    ['one job', 'runs-on: ubuntu-latest\nsteps:\n  - run: make\n', 'job', 3, 4],
    ['a map of job ids to jobs', 'build:\n  runs-on: x\n  steps:\n    - run: make\n', 'map of jobs', 2, 2],
    ['a list of steps', '- uses: actions/checkout@v5\n- run: |\n    make\n\n    make test\n', 'steps', 5, 6]
  ])('%s is wrapped into a workflow on workflow_dispatch, only indented', (_what, text, k, header, indent) => {
    const c = classify(text)
    expect({ kind: c.kind, header: c.header, indent: c.indent }).toEqual({ kind: k, header, indent })
    const lines = c.content!.split('\n')
    expect(lines[0]).toBe('on: workflow_dispatch')
    // Line n of the block is line header + n of the workflow, indent columns further right.
    text.split('\n').forEach((l, n) => expect(lines[header + n]).toBe(l === '' ? '' : ' '.repeat(indent) + l))
    const wf = parse(c.content!) as { jobs: Record<string, { steps: unknown[] }> }
    expect(Object.values(wf.jobs)[0].steps.length).toBeGreaterThan(0)
  })

  test('a list of steps keeps its block scalars', () => {
    const wf = parse(classify('- run: |\n    one\n      two\n').content!) as {
      jobs: { snippet: { steps: { run: string }[] } }
    }
    expect(wf.jobs.snippet.steps[0].run).toBe('one\n  two\n')
  })

  test('workflow keys in any other shape are a finding', () => {
    expect(classify('uses: gantry-dev/gantry/actions/notify@v1\nwith: { status: started }\n')).toMatchObject({
      kind: 'error',
      errors: [{ line: 1, message: expect.stringContaining('not a workflow, a job, a map of jobs or a list of steps') }]
    })
  })
})
