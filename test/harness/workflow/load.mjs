// Loading workflows for the local runner: GitHub's parser (@actions/workflow-parser)
// reads and checks the YAML (unknown contexts, bad needs, inputs and secrets
// of reusable-workflow calls), and `uses:` references resolve by the rule the
// runner encodes (resolveUses below, documented in docs/workflows.md).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser'
import { WorkflowError } from './expressions.mjs'

/**
 * Where a `uses:` points. `scope` is the file's own repository and commit
 * (job.workflow_repository / job.workflow_sha); `run` is the repository and
 * commit of the run (github.repository / github.sha), the caller's.
 *  - `$/path`: the repository of the file it appears in, at that file's commit
 *    (GitHub's self-repository reference) — for steps and reusable workflows;
 *  - `./path` on a job: a workflow of the run's repository at the run's commit,
 *    whatever repository the file containing it came from;
 *  - `./path` on a step: a directory of the job's workspace (what was checked out);
 *  - `owner/repo/path@ref`: literally that repository at that ref. A nested call
 *    written this way does not follow the ref its caller was pinned to.
 * @returns {{ kind: 'tree', repo: string, ref: string, path: string } | { kind: 'workspace', path: string } | { kind: 'remote', name: string, ref: string }}
 */
export function resolveUses(uses, { scope, run, onStep }) {
  if (uses.startsWith('$/')) {
    if (uses.includes('@')) throw new WorkflowError(`uses: ${uses}: a $/ reference takes no @ref`)
    return { kind: 'tree', repo: scope.repo, ref: scope.sha, path: uses.slice(2) }
  }
  if (uses.startsWith('./')) {
    if (onStep) return { kind: 'workspace', path: uses.slice(2) }
    return { kind: 'tree', repo: run.repo, ref: run.sha, path: uses.slice(2) }
  }
  const at = uses.lastIndexOf('@')
  if (at < 0) throw new WorkflowError(`uses: ${uses}: expected owner/repo[/path]@ref, ./path or $/path`)
  const [owner, repo, ...rest] = uses.slice(0, at).split('/')
  if (!owner || !repo) throw new WorkflowError(`uses: ${uses}: expected owner/repo[/path]@ref`)
  if (onStep && !rest.length) return { kind: 'remote', name: `${owner}/${repo}`, ref: uses.slice(at + 1) }
  return { kind: 'tree', repo: `${owner}/${repo}`, ref: uses.slice(at + 1), path: rest.join('/') }
}

const trace = new NoOperationTraceWriter()

/**
 * Reads and checks one workflow file. `treeOf(repo, ref)` gives the directory
 * of a repository at a ref (the nested calls' files are read from it, so the
 * parser checks the inputs and secrets each call passes).
 */
export async function loadWorkflow(file, name, { scope, treeOf }) {
  if (!existsSync(file)) throw new WorkflowError(`${name}: no such workflow file`)
  const content = readFileSync(file, 'utf8')
  const parsed = parseWorkflow({ name, content }, trace)
  const errors = parsed.context.errors.getErrors().map((e) => e.message)
  if (errors.length || !parsed.value) throw new WorkflowError(`${name}: ${errors.join('; ')}`)
  const fileProvider = {
    async getFileContent(ref) {
      // The parser hands './x' and '$/x' alike; for checking, both are read from the file's own repository.
      const target =
        'repository' in ref
          ? { repo: `${ref.owner}/${ref.repository}`, ref: ref.version, path: ref.path }
          : { repo: scope.repo, ref: scope.sha, path: ref.path }
      const f = join(treeOf(target.repo, target.ref), target.path)
      return { name: target.path, content: readFileSync(f, 'utf8') }
    }
  }
  const template = await convertWorkflowTemplate(parsed.context, parsed.value, fileProvider, {
    fetchReusableWorkflowDepth: 1
  })
  if (template.errors?.length) throw new WorkflowError(`${name}: ${template.errors.map((e) => e.Message).join('; ')}`)
  return { name, file, content, template, root: parsed.value }
}

/** The value under `key` of a MappingToken, or undefined. */
export function field(mapping, key) {
  if (!mapping || typeof mapping.find !== 'function') return undefined
  return mapping.find(key)
}

/** The raw YAML token of job `id` (the parsed model leaves out with:, shell, timeout-minutes…). */
export function rawJob(root, id) {
  return field(field(root, 'jobs'), id)
}
