// Local stand-ins for the actions that need GitHub. Each takes the real
// action's inputs (an input the real action does not have fails the run, as a
// typo would be silently ignored on GitHub) and does locally what the real
// one does for a job: checkout copies a tree, the artifact actions use a
// directory per run, setup-node uses the Node that runs the tests.
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { WorkflowError } from './expressions.mjs'

/** Inputs of the real actions (their action.yml at the majors our workflows use). */
const INPUTS = {
  'actions/checkout': [
    'repository',
    'ref',
    'token',
    'ssh-key',
    'ssh-known-hosts',
    'ssh-strict',
    'ssh-user',
    'persist-credentials',
    'path',
    'clean',
    'filter',
    'sparse-checkout',
    'sparse-checkout-cone-mode',
    'fetch-depth',
    'fetch-tags',
    'show-progress',
    'lfs',
    'submodules',
    'set-safe-directory',
    'github-server-url'
  ],
  'actions/upload-artifact': [
    'name',
    'path',
    'if-no-files-found',
    'retention-days',
    'compression-level',
    'overwrite',
    'include-hidden-files'
  ],
  'actions/download-artifact': [
    'name',
    'artifact-ids',
    'path',
    'pattern',
    'merge-multiple',
    'github-token',
    'repository',
    'run-id'
  ],
  'actions/setup-node': [
    'always-auth',
    'node-version',
    'node-version-file',
    'architecture',
    'check-latest',
    'registry-url',
    'scope',
    'token',
    'cache',
    'package-manager-cache',
    'cache-dependency-path',
    'mirror',
    'mirror-token'
  ]
}

/** The actions that have a stand-in. */
export const STAND_INS = Object.keys(INPUTS)

/** Files never copied by the checkout stand-in: git's own data and installed packages. */
const NOT_IN_A_CHECKOUT = new Set(['.git', 'node_modules'])

/** @param {string} uses e.g. "actions/checkout@v5" → the stand-in's key, or undefined */
export function standInFor(uses) {
  const name = uses.replace(/@.*$/, '')
  return name in INPUTS ? name : undefined
}

/**
 * Runs a stand-in. Returns { code, outputs, log } like a step.
 * @param {string} name
 * @param {Record<string,string>} inputs evaluated `with:` values
 * @param {{ workspace: string, github: Record<string, any>, resolveTree: (repo: string, ref: string) => string,
 *   artifacts: string, record: (kind: string, value: unknown) => void }} ctx
 */
export function runStandIn(name, inputs, ctx) {
  const allowed = INPUTS[name]
  for (const k of Object.keys(inputs))
    if (!allowed.includes(k)) throw new WorkflowError(`${name} has no input '${k}' (it has: ${allowed.join(', ')})`)
  switch (name) {
    case 'actions/checkout':
      return checkout(inputs, ctx)
    case 'actions/upload-artifact':
      return uploadArtifact(inputs, ctx)
    case 'actions/download-artifact':
      return downloadArtifact(inputs, ctx)
    case 'actions/setup-node':
      return setupNode(inputs, ctx)
  }
  throw new WorkflowError(`no stand-in for ${name}`)
}

function inside(workspace, p) {
  const full = resolve(workspace, p)
  if (full !== workspace && !full.startsWith(workspace + sep))
    throw new WorkflowError(`path '${p}' is outside the workspace`)
  return full
}

function checkout(inputs, ctx) {
  const repository = inputs.repository || ctx.github.repository
  const ref = inputs.ref || (repository === ctx.github.repository ? ctx.github.sha : 'HEAD')
  const tree = ctx.resolveTree(repository, ref)
  const dest = inside(ctx.workspace, inputs.path || '.')
  mkdirSync(dest, { recursive: true })
  // actions/checkout cleans the destination; a fresh job workspace is already empty except for earlier checkouts.
  cpSync(tree, dest, {
    recursive: true,
    filter: (src) => src === tree || !NOT_IN_A_CHECKOUT.has(basename(src))
  })
  ctx.record('checkout', { repository, ref, path: inputs.path || '.' })
  return { code: 0, outputs: { ref, commit: ref }, log: `checked out ${repository}@${ref} into ${inputs.path || '.'}` }
}

/** upload-artifact v4.4+: hidden files (a path component starting with '.') are left out unless include-hidden-files. */
export function isHidden(rel) {
  return rel.split(/[\\/]/).some((c) => c.startsWith('.') && c !== '.' && c !== '..')
}

function listFiles(root) {
  const out = []
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name)
      const st = statSync(full)
      if (st.isDirectory()) walk(full)
      else out.push(full)
    }
  }
  if (statSync(root).isDirectory()) walk(root)
  else out.push(root)
  return out
}

function uploadArtifact(inputs, ctx) {
  const name = inputs.name || 'artifact'
  const ifNone = inputs['if-no-files-found'] || 'warn'
  if (!['warn', 'error', 'ignore'].includes(ifNone))
    throw new WorkflowError(`upload-artifact: if-no-files-found '${ifNone}': expected warn, error or ignore`)
  const includeHidden = inputs['include-hidden-files'] === 'true'
  const lines = (inputs.path ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  if (!lines.length) throw new WorkflowError('upload-artifact: input path is required')
  for (const l of lines)
    if (/[*?[\]!]/.test(l)) throw new WorkflowError(`upload-artifact stand-in: globs are not supported ('${l}')`)
  const roots = lines.map((l) => (isAbsolute(l) ? l : resolve(ctx.workspace, l))).filter((p) => existsSync(p))
  // The files' root: a single directory is the root itself; else the paths' common ancestor.
  const base =
    roots.length === 1 && statSync(roots[0]).isDirectory()
      ? roots[0]
      : roots.reduce(
          (acc, p) => {
            let a = acc
            while (!(p === a || p.startsWith(a + sep))) a = dirname(a)
            return a
          },
          roots.length ? dirname(roots[0]) : '/'
        )
  const files = roots.flatMap(listFiles).filter((f) => includeHidden || !isHidden(relative(base, f)))
  const dest = join(ctx.artifacts, name)
  if (!files.length) {
    const msg = `No files were found with the provided path: ${lines.join(', ')}. No artifacts will be uploaded.`
    if (ifNone === 'error') return { code: 1, outputs: {}, log: `::error::${msg}` }
    return { code: 0, outputs: {}, log: ifNone === 'warn' ? `::warning::${msg}` : msg }
  }
  if (existsSync(dest)) {
    if (inputs.overwrite !== 'true')
      return {
        code: 1,
        outputs: {},
        log: `::error::Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: an artifact with this name already exists on the workflow run`
      }
  }
  for (const f of files) {
    const to = join(dest, relative(base, f))
    mkdirSync(dirname(to), { recursive: true })
    cpSync(f, to)
  }
  ctx.record('artifact', { name, files: files.map((f) => relative(base, f)) })
  return {
    code: 0,
    outputs: { 'artifact-id': name, 'artifact-url': `artifact://${name}` },
    log: `uploaded ${files.length} file(s) as ${name}`
  }
}

function downloadArtifact(inputs, ctx) {
  const dest = inputs.path ? resolve(ctx.workspace, inputs.path) : ctx.workspace
  const names = inputs.name ? [inputs.name] : existsSync(ctx.artifacts) ? readdirSync(ctx.artifacts).sort() : []
  for (const name of names) {
    const from = join(ctx.artifacts, name)
    if (!existsSync(from))
      return {
        code: 1,
        outputs: {},
        log: `::error::Unable to download artifact(s): Artifact not found for name: ${name}`
      }
    // By name: into path itself; all artifacts: each into path/<name> (v4+).
    cpSync(from, inputs.name ? dest : join(dest, name), { recursive: true })
  }
  return {
    code: 0,
    outputs: { 'download-path': dest },
    log: `downloaded ${names.join(', ') || 'nothing'} into ${dest}`
  }
}

function setupNode(inputs, ctx) {
  const want = inputs['node-version'] ?? ''
  const have = process.versions.node
  ctx.record('setup-node', { requested: want, used: have })
  // The stand-in uses the Node that runs the tests; a different major is said, not hidden.
  const note =
    want && !have.startsWith(`${String(want).replace(/^v/, '').split('.')[0]}.`)
      ? `::notice::setup-node stand-in: node-version ${want} requested, this run uses Node ${have}`
      : `using Node ${have}`
  return {
    code: 0,
    outputs: { 'node-version': `v${have}`, 'cache-hit': 'false' },
    log: note,
    path: [dirname(process.execPath)]
  }
}
