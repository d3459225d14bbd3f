// A local workflow runner: runs .github/workflows/*.yml (and the examples) as
// GitHub would, on GitHub's own parser and expression evaluator. Jobs run in
// the order of `needs`, one at a time; steps in order; Gantry's actions
// through the runner harness (main now, post at the end of the job in reverse
// order); `run:` steps with bash; stand-ins only for what needs GitHub
// (./workflow/stand-ins.mjs). Reusable-workflow calls resolve by the rule in
// ./workflow/load.mjs. Anything it cannot resolve — an unknown context, step
// id, input or secret, an action without a stand-in — fails the run with a
// WorkflowError instead of guessing. Plain ESM: scripts/demo.mjs uses it too.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, delimiter, join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { isBasicExpression, isBoolean, isMapping, isNumber, isSequence, isString } from '@actions/workflow-parser'
import { data } from '@actions/expressions'
import { parse as parseYaml } from 'yaml'
import { parseAnnotations, parseFileCommands, repoRoot, startAction } from './runner.mjs'
import {
  evaluateBlockScalar,
  evaluate,
  jobStatusFrom,
  strict,
  StrictDictionary,
  toData,
  toJs,
  truthy,
  WorkflowError
} from './workflow/expressions.mjs'
import { field, loadWorkflow, rawJob, resolveUses } from './workflow/load.mjs'
import { runStandIn, STAND_INS, standInFor } from './workflow/stand-ins.mjs'
import { start as startCacheService } from './workflow/cache-service.mjs'

export { WorkflowError }
export const GANTRY_REPO = 'gantry-dev/gantry'

const GITHUB_KEYS = [
  'action',
  'action_path',
  'action_ref',
  'action_repository',
  'action_status',
  'actor',
  'actor_id',
  'api_url',
  'base_ref',
  'env',
  'event',
  'event_name',
  'event_path',
  'graphql_url',
  'head_ref',
  'job',
  'path',
  'ref',
  'ref_name',
  'ref_protected',
  'ref_type',
  'repository',
  'repository_id',
  'repository_owner',
  'repository_owner_id',
  'repositoryUrl',
  'retention_days',
  'run_attempt',
  'run_id',
  'run_number',
  'secret_source',
  'server_url',
  'sha',
  'state',
  'step_summary',
  'output',
  'token',
  'triggering_actor',
  'workflow',
  'workflow_ref',
  'workflow_sha',
  'workspace'
]

/**
 * Runs a workflow file.
 * @param {import('./workflow.d.mts').WorkflowRunOptions} options
 * @returns {Promise<import('./workflow.d.mts').WorkflowRun>}
 */
export async function runWorkflow(options) {
  const t0 = performance.now()
  const work = options.workDir ?? mkdtempSync(join(tmpdir(), 'gantry-wf-'))
  const repository = options.repository ?? 'acme/shop'
  const sha = options.sha ?? '0123456789abcdef0123456789abcdef01234567'
  const trees = { [GANTRY_REPO]: repoRoot, ...options.trees }
  const treeOf = (repo, ref) => {
    const t = trees[repo]
    if (t === undefined) throw new WorkflowError(`no tree for repository ${repo} (at ${ref}); give it in options.trees`)
    if (typeof t === 'string') return t
    const dir = t[ref] ?? t['*']
    if (!dir) throw new WorkflowError(`no tree for ${repo}@${ref}; known refs: ${Object.keys(t).join(', ')}`)
    return dir
  }
  const run = {
    options,
    work,
    artifacts: join(work, 'artifacts'),
    treeOf,
    masks: new Set(Object.values(options.secrets ?? {}).filter((s) => s && s.length > 0)),
    cancelled: false,
    jobCount: 0,
    records: [],
    // Steps run (skipped and post steps included) and the time spent inside actions, scripts and stand-ins.
    steps: 0,
    actionMs: 0,
    log: options.log ?? (() => {}),
    repo: repository,
    sha
  }
  mkdirSync(run.artifacts, { recursive: true })
  options.signal?.addEventListener('abort', () => (run.cancelled = true), { once: true })

  const eventName = options.event ?? 'push'
  const ref = options.ref ?? 'refs/heads/main'
  const github = {
    event_name: eventName,
    event: options.payload ?? (eventName === 'workflow_dispatch' ? { inputs: options.inputs ?? {} } : {}),
    repository,
    repository_owner: repository.split('/')[0],
    repositoryUrl: `git://github.com/${repository}.git`,
    sha,
    ref,
    ref_name: ref.replace(/^refs\/(heads|tags)\//, ''),
    ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    ref_protected: false,
    actor: 'octocat',
    actor_id: '583231',
    triggering_actor: 'octocat',
    run_id: options.runId ?? '4242',
    run_number: '7',
    run_attempt: options.runAttempt ?? '1',
    retention_days: '90',
    server_url: 'https://github.com',
    api_url: options.apiUrl ?? 'https://api.github.com',
    graphql_url: 'https://api.github.com/graphql',
    token: options.token ?? 'ghs_localRunnerToken000000000000000000',
    secret_source: 'Actions',
    base_ref: '',
    head_ref: '',
    repository_id: '1',
    repository_owner_id: '1'
  }
  run.masks.add(github.token)

  const entry = resolveEntry(options.workflow, run)
  const wf = await loadWorkflow(entry.file, entry.name, { scope: entry.scope, treeOf })
  github.workflow = String(field(wf.root, 'name')?.value ?? entry.name)
  github.workflow_ref = `${repository}/${entry.path}@${github.ref}`
  github.workflow_sha = sha

  // A run may start at a reusable workflow (event workflow_call): its inputs and secrets are checked as a call's.
  const call =
    eventName === 'workflow_call'
      ? bindCall(wf, options.inputs ?? {}, options.secrets ?? {}, false, entry.name)
      : {
          inputs: dispatchInputs(wf, eventName, options.inputs ?? {}),
          secrets: { ...options.secrets },
          declaredSecrets: undefined
        }
  // options.cacheService: the cache service stand-in (./workflow/cache-service.mjs), its env in every step's;
  // true starts one for this run (closed at its end), a started one is shared between runs.
  const ownCache = options.cacheService === true
  run.cache = ownCache
    ? await startCacheService({ dir: join(work, 'cache-service') })
    : options.cacheService || undefined
  const result = await runJobs(run, wf, {
    github,
    scope: entry.scope,
    inputs: call.inputs,
    secrets: call.secrets,
    declaredSecrets: call.declaredSecrets,
    path: []
  }).finally(() => ownCache && run.cache.close())
  return {
    ...result,
    workDir: work,
    records: run.records,
    // The runner's own cost: everything but the time inside the steps' processes and stand-ins.
    runnerCost: { steps: run.steps, ms: performance.now() - t0 - run.actionMs },
    elapsedMs: performance.now() - t0,
    mask: (s) => maskText(run, s)
  }
}

function resolveEntry(workflow, run) {
  // A file path, or a reference as a caller would write it.
  // A file given by path belongs to the run's own repository, at its commit.
  if (workflow.startsWith('/'))
    return { file: workflow, name: basename(workflow), path: workflow, scope: { repo: run.repo, sha: run.sha } }
  const ref = resolveUses(workflow, { scope: { repo: run.repo, sha: run.sha }, run })
  return {
    file: join(run.treeOf(ref.repo, ref.ref), ref.path),
    name: ref.path,
    path: ref.path,
    scope: { repo: ref.repo, sha: ref.ref }
  }
}

function maskText(run, s) {
  let out = String(s ?? '')
  for (const m of [...run.masks].sort((a, b) => b.length - a.length)) if (m) out = out.split(m).join('***')
  return out
}

// ---------------------------------------------------------------- inputs

function callDefinitions(wf) {
  const on = field(wf.root, 'on')
  const wc = isMapping(on) ? field(on, 'workflow_call') : undefined
  return {
    inputs: toPlain(field(wc, 'inputs')) ?? {},
    secrets: toPlain(field(wc, 'secrets')) ?? {},
    outputs: field(wc, 'outputs'),
    isCallable:
      wc !== undefined ||
      (isSequence(on) && [...on].some((t) => t.value === 'workflow_call')) ||
      on?.value === 'workflow_call'
  }
}

/** A token without expressions → plain JS (input definitions, permissions). */
function toPlain(tok) {
  if (tok === undefined) return undefined
  if (isMapping(tok)) return Object.fromEntries([...tok].map((p) => [p.key.value, toPlain(p.value)]))
  if (isSequence(tok)) return [...tok].map(toPlain)
  if (isBasicExpression(tok)) return `\${{ ${tok.expression} }}`
  return tok.value ?? null
}

function typed(value, def, name, where) {
  const type = def?.type ?? 'string'
  if (type === 'boolean') {
    if (typeof value === 'boolean') return value
    if (value === 'true' || value === 'false') return value === 'true'
    throw new WorkflowError(`${where}: input '${name}' is a boolean; got '${value}'`)
  }
  if (type === 'number') {
    const n = typeof value === 'number' ? value : Number(value)
    if (value === '' || Number.isNaN(n))
      throw new WorkflowError(`${where}: input '${name}' is a number; got '${value}'`)
    return n
  }
  if (type === 'choice') {
    if (!(def.options ?? []).includes(String(value)))
      throw new WorkflowError(`${where}: input '${name}' is one of ${(def.options ?? []).join(', ')}; got '${value}'`)
    return String(value)
  }
  return typeof value === 'string' ? value : String(value)
}

/** Inputs and secrets of a reusable workflow as a call binds them. */
function bindCall(wf, given, secrets, inherit, where) {
  const defs = callDefinitions(wf)
  if (!defs.isCallable) throw new WorkflowError(`${where}: not a reusable workflow (no on.workflow_call)`)
  const inputs = {}
  for (const name of Object.keys(given))
    if (!(name in defs.inputs))
      throw new WorkflowError(`${where}: no input '${name}' (it has: ${Object.keys(defs.inputs).join(', ')})`)
  for (const [name, def] of Object.entries(defs.inputs)) {
    if (name in given && given[name] !== null && given[name] !== undefined)
      inputs[name] = typed(given[name], def, name, where)
    else if (def?.required) throw new WorkflowError(`${where}: input '${name}' is required`)
    else if (def?.default !== undefined && def.default !== null) inputs[name] = typed(def.default, def, name, where)
    else inputs[name] = def?.type === 'boolean' ? false : def?.type === 'number' ? 0 : ''
  }
  const bound = {}
  if (!inherit)
    for (const name of Object.keys(secrets))
      if (!(name in defs.secrets))
        throw new WorkflowError(`${where}: no secret '${name}' (it has: ${Object.keys(defs.secrets).join(', ')})`)
  for (const [name, def] of Object.entries(defs.secrets)) {
    if (def?.required && !secrets[name]) throw new WorkflowError(`${where}: secret '${name}' is required`)
    bound[name] = secrets[name] ?? ''
  }
  if (inherit) Object.assign(bound, secrets)
  return { inputs, secrets: bound, declaredSecrets: Object.keys(defs.secrets) }
}

function dispatchInputs(wf, eventName, given) {
  if (eventName !== 'workflow_dispatch') return {}
  const on = field(wf.root, 'on')
  const defs = toPlain(field(field(on, 'workflow_dispatch'), 'inputs')) ?? {}
  const inputs = {}
  for (const name of Object.keys(given))
    if (!(name in defs)) throw new WorkflowError(`workflow_dispatch: no input '${name}'`)
  for (const [name, def] of Object.entries(defs)) {
    if (name in given) inputs[name] = typed(given[name], def, name, 'workflow_dispatch')
    else if (def?.required && def?.default === undefined)
      throw new WorkflowError(`workflow_dispatch: input '${name}' is required`)
    else inputs[name] = def?.default !== undefined ? typed(def.default, def, name, 'workflow_dispatch') : ''
  }
  return inputs
}

// ---------------------------------------------------------------- evaluation

/** Evaluates a template token into expression data. */
function evalToken(tok, contexts, opts) {
  if (tok === undefined) return new data.Null()
  if (isBasicExpression(tok)) {
    const where = { ...opts, where: `${opts.file}:${tok.line}` }
    if (tok.blockScalarHeader && tok.source) return evaluateBlockScalar(tok, (e) => evaluate(e, contexts, where))
    return evaluate(tok.expression, contexts, where)
  }
  if (isString(tok)) return new data.StringData(tok.value)
  if (isNumber(tok)) return new data.NumberData(tok.value)
  if (isBoolean(tok)) return new data.BooleanData(tok.value)
  if (isSequence(tok)) return new data.Array(...[...tok].map((t) => evalToken(t, contexts, opts)))
  if (isMapping(tok)) {
    const d = new data.Dictionary()
    for (const p of tok) d.add(evalToken(p.key, contexts, opts).coerceString(), evalToken(p.value, contexts, opts))
    return d
  }
  if (tok.templateTokenType !== undefined && tok.value === undefined) return new data.Null()
  throw new WorkflowError(`${opts.file}:${tok.line}: unsupported YAML token (${tok.typeName?.() ?? typeof tok})`)
}

/** A mapping token → { key: string } as the runner passes with:/env: (null → ''). */
function evalStrings(tok, contexts, opts) {
  if (tok === undefined) return {}
  const d = evalToken(tok, contexts, opts)
  if (d.kind !== data.Kind.Dictionary) throw new WorkflowError(`${opts.file}:${tok.line}: expected a mapping`)
  return Object.fromEntries(
    d.pairs().map((p) => [p.key, p.value.kind === data.Kind.Null ? '' : p.value.coerceString()])
  )
}

function githubData(github, extra = {}) {
  return strict('github', { ...Object.fromEntries(GITHUB_KEYS.map((k) => [k, ''])), ...github, ...extra })
}

function needsData(needs, results) {
  const d = strict('needs', {}, 'only the jobs this job needs')
  for (const n of needs) {
    const r = results[n]
    const outputs = new data.Dictionary()
    for (const [k, v] of Object.entries(r.outputs ?? {})) outputs.add(k, toData(v))
    d.add(n, strict(`needs.${n}`, { result: r.result, outputs }))
  }
  return d
}

function secretsData(secrets, hint) {
  return strict('secrets', { GITHUB_TOKEN: secrets.GITHUB_TOKEN ?? '', ...secrets }, hint)
}

// ---------------------------------------------------------------- jobs

async function runJobs(run, wf, call) {
  const jobs = wf.template.jobs ?? []
  const byId = new Map(jobs.map((j) => [j.id.value, j]))
  const results = {}
  const order = []
  const visit = (id, stack = []) => {
    if (order.includes(id)) return
    if (stack.includes(id)) throw new WorkflowError(`${wf.name}: jobs need each other: ${[...stack, id].join(' → ')}`)
    for (const n of byId.get(id).needs ?? []) visit(n.value, [...stack, id])
    order.push(id)
  }
  for (const j of jobs) visit(j.id.value)
  const ancestors = (id) => {
    const out = new Set()
    const walk = (j) => {
      for (const n of byId.get(j).needs ?? []) {
        out.add(n.value)
        walk(n.value)
      }
    }
    walk(id)
    return [...out]
  }

  for (const id of order) {
    const job = byId.get(id)
    const needs = (job.needs ?? []).map((n) => n.value)
    const raw = rawJob(wf.root, id)
    const status = jobStatusFrom(
      ancestors(id).map((a) => results[a].result),
      run.cancelled
    )
    const contexts = {
      github: githubData(call.github),
      needs: needsData(needs, results),
      inputs: strict('inputs', call.inputs, `inputs of ${wf.name}`),
      vars: toData(run.options.vars ?? {})
    }
    const opts = { file: wf.name, status: { status: status.status, cancelled: status.cancelled } }
    const go = truthy(job.if ? evalToken(job.if, contexts, opts) : evaluate('success()', contexts, opts))
    const record = { workflow: wf.name, path: [...call.path, id], id, name: id, result: 'skipped', outputs: {} }
    if (!go) {
      results[id] = record
      run.records.push(record)
      run.log(`job ${record.path.join('/')}: skipped`)
      continue
    }
    if (field(raw, 'strategy'))
      throw new WorkflowError(`${wf.name}: job ${id}: strategy/matrix is not supported by the local runner`)
    if (job.type === 'reusableWorkflowJob') await runCallJob(run, wf, job, raw, contexts, opts, call, record)
    else await runStepsJob(run, wf, job, raw, contexts, opts, call, record)
    results[id] = record
    run.records.push(record)
  }

  const defs = callDefinitions(wf)
  const jobsData = new data.Dictionary()
  for (const [id, r] of Object.entries(results)) {
    const outputs = new data.Dictionary()
    for (const [k, v] of Object.entries(r.outputs ?? {})) outputs.add(k, toData(v))
    jobsData.add(id, strict(`jobs.${id}`, { result: r.result, outputs }))
  }
  const outputs = {}
  if (defs.outputs)
    for (const p of defs.outputs) {
      const value = field(p.value, 'value')
      outputs[p.key.value] = evalToken(
        value,
        {
          github: githubData(call.github),
          jobs: jobsData,
          inputs: strict('inputs', call.inputs),
          vars: toData(run.options.vars ?? {})
        },
        { file: wf.name }
      ).coerceString()
    }
  const all = Object.values(results).map((r) => r.result)
  const result = run.cancelled ? 'cancelled' : all.includes('failure') ? 'failure' : 'success'
  return { result, outputs, jobs: results }
}

async function runCallJob(run, wf, job, raw, contexts, opts, call, record) {
  const uses = job.ref.value
  const target = resolveUses(uses, { scope: call.scope, run })
  const tree = run.treeOf(target.repo, target.ref)
  const called = await loadWorkflow(join(tree, target.path), target.path, {
    scope: { repo: target.repo, sha: target.ref },
    treeOf: run.treeOf
  })
  const withValues = toJs(evalToken(field(raw, 'with'), contexts, opts)) ?? {}
  const inherit = job['inherit-secrets'] === true
  const secretContexts = { ...contexts, secrets: secretsData(call.secrets, `secrets of ${wf.name}`) }
  const passed = inherit ? { ...call.secrets } : evalStrings(field(raw, 'secrets'), secretContexts, opts)
  const bound = bindCall(called, withValues, passed, inherit, `${wf.name}: job ${record.id} (uses ${uses})`)
  record.uses = uses
  record.resolved = { repo: target.repo, ref: target.ref, path: target.path }
  record.permissions = toPlain(field(raw, 'permissions'))
  run.log(`job ${record.path.join('/')}: calls ${target.repo}/${target.path}@${target.ref}`)
  const inner = await runJobs(run, called, {
    github: call.github,
    scope: { repo: target.repo, sha: target.ref },
    inputs: bound.inputs,
    secrets: bound.secrets,
    declaredSecrets: bound.declaredSecrets,
    path: record.path
  })
  record.result = inner.result
  record.outputs = inner.outputs
  record.jobs = inner.jobs
}

function jobEnvironment(run, wf, raw, contexts, opts) {
  const env = field(raw, 'environment')
  if (env === undefined) return undefined
  const v = toJs(evalToken(env, contexts, opts))
  return typeof v === 'string' ? { name: v } : { name: v?.name ?? '', url: v?.url }
}

async function runStepsJob(run, wf, job, raw, jobContexts, opts, call, record) {
  const n = ++run.jobCount
  const dir = join(run.work, 'jobs', `${n}-${record.path.join('-')}`)
  const workspace = join(dir, 'workspace')
  // options.runnerTemp: one RUNNER_TEMP for every job, emptied as each starts — as on a hosted runner, where it
  // is the same path every time (@actions/cache versions an entry by its paths, some of them under it).
  const temp = run.options.runnerTemp ?? join(dir, 'temp')
  if (run.options.runnerTemp) rmSync(temp, { recursive: true, force: true })
  for (const d of [workspace, temp, join(dir, 'steps')]) mkdirSync(d, { recursive: true })
  const eventPath = join(dir, 'event.json')
  writeFileSync(eventPath, JSON.stringify(call.github.event ?? {}))

  const environment = jobEnvironment(run, wf, raw, jobContexts, opts)
  const envConfig = environment ? run.options.environments?.[environment.name] : undefined
  for (const s of Object.values(envConfig?.secrets ?? {})) if (s) run.masks.add(s)
  // Environment secrets and variables join the job's contexts once it names the environment.
  const secrets = { ...call.secrets, ...envConfig?.secrets }
  const vars = { ...run.options.vars, ...envConfig?.vars }
  const jobInfo = {
    status: 'success',
    workflow_repository: call.scope.repo,
    workflow_sha: call.scope.sha,
    workflow_ref: `${call.scope.repo}/${wf.name}@${call.scope.sha}`,
    workflow_file_path: wf.name,
    container: {},
    services: {},
    check_run_id: String(1000 + n)
  }
  const runner = {
    os: 'Linux',
    arch: 'X64',
    name: 'gantry-local',
    temp,
    tool_cache: join(run.work, 'tool-cache'),
    debug: '',
    environment: 'self-hosted',
    workspace
  }
  const github = { ...call.github, job: record.id, workspace, event_path: eventPath }
  const base = {
    github: githubData(github),
    needs: jobContexts.needs,
    inputs: jobContexts.inputs,
    vars: toData(vars),
    secrets: secretsData(
      secrets,
      call.declaredSecrets
        ? `declared in ${wf.name}: ${call.declaredSecrets.join(', ') || 'none'}`
        : "the repository's secrets"
    ),
    runner: strict('runner', runner),
    strategy: toData({}),
    matrix: toData({})
  }
  const envWorkflow = evalStrings(field(wf.root, 'env'), base, opts)
  const jobEnv = { ...envWorkflow, ...evalStrings(field(raw, 'env'), { ...base, env: toData(envWorkflow) }, opts) }
  record.name = toJs(evalToken(job.name, base, opts)) ?? record.id
  record.environment = environment && { ...environment, url: environment.url }
  const conc = field(raw, 'concurrency')
  if (conc) {
    const c = toJs(evalToken(conc, base, opts))
    record.concurrency =
      typeof c === 'string'
        ? { group: c, cancelInProgress: false }
        : { group: c.group, cancelInProgress: !!c['cancel-in-progress'] }
  }
  record.permissions = toPlain(field(raw, 'permissions'))
  const timeoutMin = Number(toJs(evalToken(field(raw, 'timeout-minutes'), base, opts)) ?? 360)
  const deadline = performance.now() + timeoutMin * 60_000
  const defaults = toPlain(field(field(raw, 'defaults'), 'run')) ?? {}
  run.log(`job ${record.path.join('/')}: ${record.name}${environment ? ` (environment ${environment.name})` : ''}`)

  const state = { status: 'success', cancelled: run.cancelled }
  const steps = new StrictDictionary('steps', 'the ids of the steps that ran before this one')
  const stepRecords = []
  const posts = []
  let env = { ...jobEnv }
  const pathAdds = []

  const processEnv = (stepEnv) => ({
    PATH: [...pathAdds.slice().reverse(), run.options.env?.PATH ?? process.env.PATH].join(delimiter),
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: github.repository,
    GITHUB_REPOSITORY_OWNER: github.repository_owner,
    GITHUB_SHA: github.sha,
    GITHUB_REF: github.ref,
    GITHUB_REF_NAME: github.ref_name,
    GITHUB_EVENT_NAME: github.event_name,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_ACTOR: github.actor,
    GITHUB_TRIGGERING_ACTOR: github.triggering_actor,
    GITHUB_RUN_ID: github.run_id,
    GITHUB_RUN_NUMBER: github.run_number,
    GITHUB_RUN_ATTEMPT: github.run_attempt,
    GITHUB_JOB: record.id,
    GITHUB_WORKFLOW: github.workflow,
    GITHUB_WORKFLOW_REF: github.workflow_ref,
    GITHUB_SERVER_URL: github.server_url,
    GITHUB_API_URL: github.api_url,
    GITHUB_GRAPHQL_URL: github.graphql_url,
    GITHUB_WORKSPACE: workspace,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: runner.name,
    RUNNER_TEMP: temp,
    RUNNER_TOOL_CACHE: runner.tool_cache,
    ...run.cache?.env,
    ...run.options.env,
    ...env,
    ...stepEnv
  })

  const rawSteps = field(raw, 'steps')
  for (let i = 0; i < job.steps.length; i++) {
    const step = job.steps[i]
    const rs = rawSteps.get(i)
    const id = step.id
    const visible = !id.startsWith('__')
    const contexts = {
      ...base,
      job: strict('job', { ...jobInfo, status: state.status }),
      steps,
      env: toData(env)
    }
    state.cancelled = run.cancelled
    const sopts = { file: wf.name, status: state, workspace }
    const srec = { id: visible ? id : undefined, name: '', uses: step.uses?.value, run: step.run ? true : undefined }
    // GitHub's default names: "Run <action>" or "Run <the script's first line>".
    srec.name = String(
      toJs(evalToken(step.name, contexts, sopts)) ??
        (step.uses
          ? `Run ${step.uses.value}`
          : `Run ${String(step.run?.value ?? step.run?.expression ?? '').split('\n')[0]}`)
    )
    stepRecords.push(srec)
    run.steps++
    if (performance.now() > deadline) {
      state.status = 'failure'
      throw new WorkflowError(`${wf.name}: job ${record.id} passed its timeout-minutes (${timeoutMin})`)
    }
    const go = truthy(step.if ? evalToken(step.if, contexts, sopts) : evaluate('success()', contexts, sopts))
    if (!go) {
      srec.outcome = srec.conclusion = 'skipped'
      if (visible)
        steps.add(
          id,
          strict(`steps.${id}`, { outcome: 'skipped', conclusion: 'skipped', outputs: new data.Dictionary() })
        )
      run.log(`  step ${srec.name}: skipped`)
      continue
    }
    const stepEnv = evalStrings(field(rs, 'env'), contexts, sopts)
    const withCtx = { ...contexts, env: toData({ ...env, ...stepEnv }) }
    const coeTok = step['continue-on-error']
    const continueOnError =
      typeof coeTok === 'boolean' ? coeTok : coeTok === undefined ? false : truthy(evalToken(coeTok, withCtx, sopts))
    const stepDir = join(dir, 'steps', String(i))
    mkdirSync(stepDir, { recursive: true })
    const stepTimeout = Math.max(1000, Math.min(deadline - performance.now(), stepTimeoutMs(rs, withCtx, sopts)))

    // What the step left: { code, stdout, stderr?, summary?, annotations?, outputs, env, path }.
    let r
    if (step.uses) {
      const withValues = evalStrings(field(rs, 'with'), withCtx, sopts)
      srec.inputs = Object.fromEntries(Object.entries(withValues).map(([k, v]) => [k, maskText(run, v)]))
      const uses = step.uses.value
      const stand = standInFor(uses)
      if (stand) {
        const si = await inStep(run, async () =>
          runStandIn(stand, withValues, {
            workspace,
            github,
            resolveTree: run.treeOf,
            artifacts: run.artifacts,
            record: (kind, value) => (srec[kind] = value)
          })
        )
        r = { code: si.code, stdout: si.log, outputs: si.outputs, env: {}, path: si.path ?? [] }
      } else {
        const target = resolveUses(uses, { scope: call.scope, run, onStep: true })
        if (target.kind === 'remote')
          throw new WorkflowError(
            `${wf.name}: step '${srec.name}': no stand-in for ${uses}; the local runner runs Gantry's own actions and ${STAND_INS.join(', ')}`
          )
        const actionDir =
          target.kind === 'workspace'
            ? resolve(workspace, target.path)
            : join(run.treeOf(target.repo, target.ref), target.path)
        const meta = parseYaml(readFileSync(join(actionDir, 'action.yml'), 'utf8'))
        if (!/^node\d+$/.test(meta.runs?.using ?? ''))
          throw new WorkflowError(
            `${wf.name}: ${uses}: runs.using '${meta.runs?.using}' is not supported by the local runner`
          )
        const started = await inStep(run, () =>
          startAction(basename(actionDir), {
            actionDir,
            inputs: withValues,
            env: processEnv(stepEnv),
            runnerTemp: temp,
            workspace,
            cwd: workspace,
            tempDir: stepDir,
            timeoutMs: stepTimeout,
            token: github.token,
            onSpawn: (child) => watchCancel(run, child, srec)
          })
        )
        r = started.result
        if (meta.runs.post) posts.push({ srec, started, stepEnv, continueOnError })
        srec.declaredOutputs = Object.keys(meta.outputs ?? {})
      }
    } else {
      const script = String(toJs(evalToken(step.run, withCtx, sopts)) ?? '')
      const shell = toJs(evalToken(field(rs, 'shell'), withCtx, sopts)) ?? defaults.shell
      const wd = toJs(evalToken(field(rs, 'working-directory'), withCtx, sopts)) ?? defaults['working-directory']
      r = await inStep(run, () =>
        runScript(run, srec, {
          script,
          shell,
          cwd: wd ? resolve(workspace, wd) : workspace,
          env: processEnv(stepEnv),
          dir: stepDir,
          temp,
          timeoutMs: stepTimeout
        })
      )
    }
    const outputs = r.outputs
    Object.assign(srec, {
      stdout: r.stdout,
      stderr: r.stderr,
      summary: r.summary,
      annotations: r.annotations ?? parseAnnotations(r.stdout),
      code: r.code
    })
    collectMasks(run, r.stdout)
    env = { ...env, ...r.env }
    pathAdds.push(...r.path)
    const outcome = srec.cancelledWhileRunning ? 'cancelled' : r.code === 0 ? 'success' : 'failure'
    const conclusion = outcome === 'failure' && continueOnError ? 'success' : outcome
    srec.outcome = outcome
    srec.conclusion = conclusion
    srec.outputs = outputs
    if (conclusion === 'failure') state.status = 'failure'
    if (outcome === 'cancelled') state.status = 'cancelled'
    if (visible) {
      const out =
        srec.declaredOutputs !== undefined
          ? strict(
              `steps.${id}.outputs`,
              { ...Object.fromEntries(srec.declaredOutputs.map((k) => [k, null])), ...outputs },
              `outputs ${srec.uses} declares`
            )
          : toData(outputs)
      steps.add(id, strict(`steps.${id}`, { outcome, conclusion, outputs: out }))
    }
    run.log(`  step ${srec.name}: ${outcome}${continueOnError && outcome === 'failure' ? ' (continue-on-error)' : ''}`)
    run.options.onStep?.({ job: record.path.join('/'), step: srec })
  }

  // Post steps: at the end of the job, in reverse order, each with its post-if.
  for (const p of posts.reverse()) {
    const jobStatus = run.cancelled ? 'cancelled' : state.status
    const holds = (expr, envNow) =>
      truthy(
        evaluate(
          String(expr ?? 'always()').replace(/^\s*\$\{\{([\s\S]*)\}\}\s*$/, '$1'),
          {
            ...base,
            job: strict('job', { ...jobInfo, status: jobStatus }),
            env: toData(envNow),
            steps
          },
          { where: `${p.srec.uses} post-if`, status: { status: jobStatus, cancelled: run.cancelled } }
        )
      )
    const r = await inStep(run, () => p.started.runPost({ holds, env: processEnv(p.stepEnv) }))
    if (r) run.steps++
    if (r) {
      p.srec.post = { code: r.code, stdout: r.stdout, stderr: r.stderr, summary: r.summary, annotations: r.annotations }
      collectMasks(run, r.stdout)
      run.log(`  post ${p.srec.name}: ${r.code === 0 ? 'success' : 'failure'}`)
      run.options.onStep?.({
        job: record.path.join('/'),
        step: {
          ...p.srec,
          name: `Post ${p.srec.name}`,
          outcome: r.code === 0 ? 'success' : 'failure',
          summary: r.summary,
          annotations: r.annotations
        }
      })
      if (r.code !== 0 && !p.continueOnError) state.status = 'failure'
    }
  }

  jobInfo.status = state.status
  const outCtx = { ...base, job: strict('job', jobInfo), steps, env: toData(env) }
  record.outputs = evalStrings(job.outputs, outCtx, { file: wf.name })
  if (record.environment && field(field(raw, 'environment'), 'url') !== undefined)
    record.environment.url = toJs(evalToken(field(field(raw, 'environment'), 'url'), outCtx, { file: wf.name }))
  record.steps = stepRecords
  record.result = run.cancelled ? 'cancelled' : state.status
  run.log(`job ${record.path.join('/')}: ${record.result}`)
}

/** Runs what happens inside a step (its process, a stand-in): that time is not the runner's own cost. */
async function inStep(run, f) {
  const t0 = performance.now()
  try {
    return await f()
  } finally {
    run.actionMs += performance.now() - t0
  }
}

function stepTimeoutMs(rs, contexts, opts) {
  const t = toJs(evalToken(field(rs, 'timeout-minutes'), contexts, opts))
  return t === null || t === undefined ? 30 * 60_000 : Number(t) * 60_000
}

function collectMasks(run, stdout) {
  for (const m of String(stdout ?? '').matchAll(/^::add-mask::(.*)$/gm)) if (m[1]) run.masks.add(m[1])
}

/**
 * A cancel stops the step running at that moment (as the runner: SIGINT to its
 * process group, SIGKILL if it is still there after 5 s). Steps that start after
 * the cancel (if: always() / cancelled()) run to their end.
 */
function watchCancel(run, child, srec) {
  const signal = run.options.signal
  if (!signal || signal.aborted) return
  const onAbort = () => {
    srec.cancelledWhileRunning = true
    const kill = (sig) => {
      try {
        process.kill(child.detached ? -child.pid : child.pid, sig)
      } catch {
        /* gone */
      }
    }
    kill('SIGINT')
    setTimeout(() => kill('SIGKILL'), 5000).unref()
  }
  signal.addEventListener('abort', onAbort, { once: true })
  child.on('close', () => signal.removeEventListener('abort', onAbort))
}

/** A run: step with bash (GitHub's default: `bash -e {0}`; `shell: bash`: `bash --noprofile --norc -eo pipefail {0}`). */
async function runScript(run, srec, { script, shell, cwd, env, dir, temp, timeoutMs }) {
  const file = join(temp, `${basename(dir)}-${Date.now()}.sh`)
  writeFileSync(file, script)
  const files = {
    output: join(dir, 'output'),
    env: join(dir, 'env'),
    path: join(dir, 'path'),
    summary: join(dir, 'summary.md')
  }
  for (const f of Object.values(files)) writeFileSync(f, '')
  let argv
  if (shell === undefined || shell === null || shell === '') argv = ['bash', '-e', file]
  else if (shell === 'bash') argv = ['bash', '--noprofile', '--norc', '-eo', 'pipefail', file]
  else if (shell === 'sh') argv = ['sh', '-e', file]
  else throw new WorkflowError(`shell '${shell}' is not supported by the local runner (bash or sh)`)
  const procEnv = {
    ...env,
    GITHUB_OUTPUT: files.output,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    GITHUB_STEP_SUMMARY: files.summary
  }
  const r = await new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd,
      env: procEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true
    })
    child.detached = true
    watchCancel(run, child, srec)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr })
    })
  })
  return {
    ...r,
    outputs: parseFileCommands(readFileSync(files.output, 'utf8')),
    env: parseFileCommands(readFileSync(files.env, 'utf8')),
    path: readFileSync(files.path, 'utf8').split('\n').filter(Boolean),
    summary: readFileSync(files.summary, 'utf8')
  }
}

/** Every step record of a run, depth first, with the path of its job. */
export function allSteps(runResult) {
  const out = []
  const walk = (jobs) => {
    for (const j of Object.values(jobs)) {
      for (const s of j.steps ?? []) out.push({ job: j.path.join('/'), ...s })
      if (j.jobs) walk(j.jobs)
    }
  }
  walk(runResult.jobs)
  return out
}
