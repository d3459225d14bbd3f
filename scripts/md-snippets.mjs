// The YAML blocks of the Markdown files, for scripts/validate.mjs (rule also in
// README's Developing table):
//
// - Every fenced ```yaml / ```yml block must be valid YAML.
// - A block with a `jobs:`, `uses:` or `run:` key (at the start of a line, or after
//   `- `) is workflow YAML: it goes through GitHub's parser and actionlint. Any other
//   block (a smoke spec, an action.yml excerpt) is parsed as YAML only.
// - Workflow YAML is checked as written when it has top-level `on:` and `jobs:`. A
//   fragment is wrapped into the smallest workflow around it, triggered by
//   `on: workflow_dispatch`:
//     top-level `jobs:` without `on:`         the `on:` line is added
//     one job (top-level `runs-on:`/`steps:`)  it becomes job `snippet`
//     a map of job ids to jobs                 it becomes `jobs:`
//     a list of steps                          the steps of job `snippet` on ubuntu-latest
//   Anything else with those keys is a finding. A fragment must stand on its own in
//   that wrapper: the steps whose outputs it reads are in it, and a snippet that
//   reads `inputs.*` is a whole workflow that declares them.
// - The wrapper only adds lines above the block and indents it, so each finding is
//   mapped back to the Markdown file and line.
import { parseDocument, isMap, isSeq } from 'yaml'

/**
 * Fenced ```yaml / ```yml blocks.
 * @param {string} markdown
 * @returns {{ line: number, text: string }[]} line: 1-based line of the block's first line (the fence is the line before)
 */
export function yamlBlocks(markdown) {
  const lines = markdown.split('\n')
  const blocks = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(`{3,}|~{3,})\s*(ya?ml)\b/.exec(lines[i])
    if (!open) continue
    const [, indent, fence] = open
    const body = []
    let j = i + 1
    for (; j < lines.length && !isClose(lines[j], fence); j++) body.push(lines[j].slice(leading(lines[j], indent)))
    blocks.push({ line: i + 2, text: body.join('\n') + '\n' })
    i = j
  }
  return blocks
}

const isClose = (line, fence) => line.trim().startsWith(fence) && /^[`~]+$/.test(line.trim())
// A fence indented in a list item: its lines lose up to that many spaces.
const leading = (line, indent) => Math.min(indent.length, /^ */.exec(line)[0].length)

/** Whether a block is workflow YAML (see the rule above). */
export const isWorkflowYaml = (text) => /^[ \t]*(?:- +)?(?:jobs|uses|run):/m.test(text)

const isJob = (node) =>
  isMap(node) && (node.has('runs-on') || node.has('steps') || /\.ya?ml@/.test(String(node.get('uses'))))

// What the block's top level is → the lines put above it and the columns added before each of its lines.
const ON = 'on: workflow_dispatch'
const WRAPPERS = {
  workflow: [[], 0],
  'jobs without on': [[ON], 0],
  'map of jobs': [[ON, 'jobs:'], 2],
  job: [[ON, 'jobs:', '  snippet:'], 4],
  steps: [[ON, 'jobs:', '  snippet:', '    runs-on: ubuntu-latest', '    steps:'], 6]
}

function shape(top) {
  if (isMap(top) && top.has('jobs')) return top.has('on') ? 'workflow' : 'jobs without on'
  if (isJob(top)) return 'job'
  if (isMap(top) && top.items.length && top.items.every((p) => isJob(p.value))) return 'map of jobs'
  if (isSeq(top)) return 'steps'
  return null
}

/**
 * What a block is, and the workflow text that checks it.
 * @param {string} text a block's text
 * @returns {{ kind: 'yaml' } | { kind: 'error', errors: { line: number, col: number, message: string }[] }
 *   | { kind: keyof typeof WRAPPERS, content: string, header: number, indent: number }}
 *   header: lines added above the block; indent: columns added before each of its lines
 */
export function classify(text) {
  const doc = parseDocument(text)
  const errors = doc.errors.map((e) => ({
    line: e.linePos?.[0].line ?? 1,
    col: e.linePos?.[0].col ?? 1,
    message: `YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`
  }))
  if (errors.length) return { kind: 'error', errors }
  if (!isWorkflowYaml(text)) return { kind: 'yaml' }
  const kind = shape(doc.contents)
  if (!kind) {
    const message = 'has jobs:/uses:/run: but is not a workflow, a job, a map of jobs or a list of steps'
    return { kind: 'error', errors: [{ line: 1, col: 1, message }] }
  }
  const [header, indent] = WRAPPERS[kind]
  const body = text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => (l === '' ? l : ' '.repeat(indent) + l))
  return { kind, content: [...header, ...body].join('\n') + '\n', header: header.length, indent }
}
