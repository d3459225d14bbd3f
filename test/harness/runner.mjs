// Runs a committed dist bundle exactly as the GitHub runner does: INPUT_* env
// (upper-cased, hyphens kept) with action.yml defaults filled in, the file
// commands (GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY / GITHUB_ENV /
// GITHUB_PATH), RUNNER_TEMP and GITHUB_WORKSPACE, then the post step (when
// action.yml has one and post-if holds) with the saved state as STATE_*.
// Plain ESM so both jest and scripts/demo.mjs use the same code.
import { spawn } from 'node:child_process'
import { chownSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname, resolve, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** @param {string} name */
export function loadActionYml(name) {
  const file = join(repoRoot, 'actions', name, 'action.yml')
  return parseYaml(readFileSync(file, 'utf8'))
}

/** Evaluates the few default expressions our action.yml files use, as the runner would. */
function evaluateDefault(value, ctx) {
  return String(value).replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr) => {
    if (expr === 'github.token') return ctx.token ?? ''
    throw new Error(`harness: unsupported expression in default: ${expr}`)
  })
}

/** Parses a file written by @actions/core's file commands (name<<delim / name=value). */
export function parseFileCommands(text) {
  const out = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (line === '') continue
    const heredoc = line.match(/^([^=<]+)<<(.+)$/)
    if (heredoc) {
      const [, key, delim] = heredoc
      const value = []
      i++
      while (i < lines.length && lines[i] !== delim) value.push(lines[i++])
      if (i >= lines.length) throw new Error(`harness: unterminated value for ${key}`)
      out[key] = value.join('\n')
    } else {
      const eq = line.indexOf('=')
      if (eq < 0) throw new Error(`harness: bad file-command line: ${line}`)
      out[line.slice(0, eq)] = line.slice(eq + 1)
    }
  }
  return out
}

function unescapeData(s) {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}
function unescapeProp(s) {
  return unescapeData(s).replace(/%3A/g, ':').replace(/%2C/g, ',')
}

/** Workflow commands printed on stdout: ::error file=f,line=3,title=t::message */
export function parseAnnotations(stdout) {
  const out = []
  for (const line of stdout.split(/\r?\n/)) {
    const m = line.match(/^::(error|warning|notice)(?: ([^:]*))?::(.*)$/)
    if (!m) continue
    const props = {}
    for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
      const i = kv.indexOf('=')
      props[kv.slice(0, i)] = unescapeProp(kv.slice(i + 1))
    }
    out.push({
      level: m[1],
      message: unescapeData(m[3]),
      file: props.file,
      line: props.line ? Number(props.line) : undefined,
      title: props.title
    })
  }
  return out
}

/**
 * Evaluates a post-if as the runner does, for the forms our action.yml files
 * use: status functions and `env.NAME == 'value'` (GitHub compares strings
 * ignoring case), joined by `||`. env is the job's environment at the post
 * step: the step env plus what earlier steps wrote to GITHUB_ENV.
 */
export function postIfHolds(expr, jobStatus, env = {}) {
  const e = String(expr ?? 'always()')
    .replace(/\$\{\{|\}\}/g, '')
    .trim()
  return e.split('||').some((term) => {
    const t = term.trim()
    if (t === 'always()') return true
    if (t === 'success()') return jobStatus === 'success'
    if (t === 'failure()') return jobStatus === 'failure'
    if (t === 'cancelled()') return jobStatus === 'cancelled'
    const m = t.match(/^env\.([A-Za-z_][A-Za-z0-9_]*)\s*==\s*'([^']*)'$/)
    if (m) return env[m[1]] !== undefined && env[m[1]].toLowerCase() === m[2].toLowerCase()
    throw new Error(`harness: unsupported post-if: ${expr}`)
  })
}

function runNode(script, env, cwd, timeoutMs, onSpawn, user) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], ...user })
    onSpawn?.(child)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`harness: ${script} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`))
    }, timeoutMs)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolvePromise({ code: code ?? (signal ? 128 : 1), signal, stdout, stderr })
    })
  })
}

/** chown -R of the step's own files, for a step run as another user (root's files would be out of its reach). */
function chownTree(dir, user) {
  chownSync(dir, user.uid, user.gid)
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    if (d.isDirectory()) chownTree(join(dir, d.name), user)
    else if (!d.isSymbolicLink()) chownSync(join(dir, d.name), user.uid, user.gid)
  }
}

/**
 * Runs dist/<name>/index.js as the runner does.
 * @param {string} name
 * @param {import('./runner.d.mts').RunOptions} [options]
 * @returns {Promise<import('./runner.d.mts').RunResult>}
 */
export async function runAction(name, options = {}) {
  const started = await startAction(name, options)
  // The job's steps between main and post (e.g. the build), when the test gives them.
  await options.beforePost?.(started.result)
  if (options.post !== false) {
    const status = options.jobStatus ?? (started.result.code === 0 ? 'success' : 'failure')
    started.result.post = await started.runPost({ holds: (expr, env) => postIfHolds(expr, status, env) })
  }
  return started.result
}

/**
 * Runs an action's main step and returns its result with a runPost() that
 * runs its post step later: the workflow runner runs post steps at the end of
 * the job, in reverse order, as GitHub does. With options.actionDir the
 * action.yml (and the scripts it names) come from that directory, e.g. a
 * checkout of Gantry at some ref; else from this repository's actions/<name>.
 * @param {string} name
 * @param {import('./runner.d.mts').RunOptions} [options]
 */
export async function startAction(name, options = {}) {
  const actionDir = options.actionDir ?? join(repoRoot, 'actions', name)
  const meta = parseYaml(readFileSync(join(actionDir, 'action.yml'), 'utf8'))
  const declaredInputs = meta.inputs ?? {}
  const given = options.inputs ?? {}
  for (const key of Object.keys(given)) {
    // The runner warns about unexpected inputs; a test passing one is a test bug.
    if (!(key in declaredInputs)) throw new Error(`harness: ${name} has no input '${key}'`)
  }
  const work = options.tempDir ?? mkdtempSync(join(tmpdir(), `gantry-${name}-`))
  const files = {
    output: join(work, 'output'),
    state: join(work, 'state'),
    summary: join(work, 'summary.md'),
    env: join(work, 'env'),
    path: join(work, 'path'),
    event: join(work, 'event.json')
  }
  const runnerTemp = options.runnerTemp ?? join(work, 'runner-temp')
  const workspace = options.workspace ?? join(work, 'workspace')
  mkdirSync(runnerTemp, { recursive: true })
  mkdirSync(workspace, { recursive: true })
  for (const f of [files.output, files.state, files.summary, files.env, files.path]) writeFileSync(f, '')
  writeFileSync(files.event, JSON.stringify(options.event ?? {}))

  const baseEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'gantry-harness',
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: join(work, 'tool-cache'),
    GITHUB_WORKSPACE: workspace,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_REPOSITORY_OWNER: 'acme',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_ACTOR: 'octocat',
    GITHUB_TRIGGERING_ACTOR: 'octocat',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_NUMBER: '7',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'deploy',
    GITHUB_WORKFLOW: 'deploy',
    GITHUB_ACTION: name.replace(/-/g, '_'),
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql',
    ...options.env,
    // The file commands are the step's own, whatever the caller's env says.
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path
  }
  const inputEnv = {}
  for (const [key, def] of Object.entries(declaredInputs)) {
    const value =
      key in given ? String(given[key]) : def?.default !== undefined ? evaluateDefault(def.default, options) : ''
    inputEnv[`INPUT_${key.toUpperCase()}`] = value
  }
  // GANTRY_DIST_DIR: bundles built elsewhere (npm run bundle with it set), for work that must not touch dist/.
  const distRoot = options.distRoot ?? (process.env.GANTRY_DIST_DIR || undefined)
  const scriptOf = (rel) => {
    const script = resolve(actionDir, rel)
    const inDist = relative(join(repoRoot, 'dist'), script)
    // Only a bundle of this checkout's dist/ is redirected (a tree at another ref keeps its own).
    return distRoot && !inDist.startsWith('..') ? join(distRoot, inDist) : script
  }
  const script = scriptOf(meta.runs.main)
  if (!existsSync(script)) throw new Error(`harness: ${script} does not exist; run npm run bundle`)
  const cwd = options.cwd ?? workspace
  const timeoutMs = options.timeoutMs ?? 60_000

  // options.user: the step runs as that uid/gid (a runner is rarely root, and root ignores file modes).
  const user = options.user
  if (user) for (const d of new Set([work, runnerTemp, workspace])) chownTree(d, user)
  const main = await runNode(script, { ...baseEnv, ...inputEnv }, cwd, timeoutMs, options.onSpawn, user)
  const result = collect(name, meta, main, files)
  result.workDir = work

  /**
   * The post step, when action.yml has one and its post-if holds. `holds`
   * decides post-if (expression, env of the job at that point). Returns undefined when it does not run.
   * @param {{ holds: (expr: string | undefined, env: Record<string,string>) => boolean, env?: Record<string,string> }} how
   */
  const runPost = async (how) => {
    const post = meta.runs?.post
    // What main wrote to GITHUB_ENV is in the job's env from then on: post-if sees it, so does the post step.
    const jobEnv = { ...baseEnv, ...how.env, ...result.env }
    if (!post || !how.holds(meta.runs['post-if'], jobEnv)) return undefined
    // Post steps see the same inputs plus STATE_*; each step gets fresh file-command files.
    for (const f of [files.output, files.summary, files.env, files.path]) writeFileSync(f, '')
    const stateEnv = {}
    for (const [k, v] of Object.entries(result.state)) stateEnv[`STATE_${k}`] = v
    writeFileSync(files.state, '')
    const p = await runNode(
      scriptOf(post),
      { ...jobEnv, ...inputEnv, ...stateEnv },
      cwd,
      timeoutMs,
      options.onSpawn,
      user
    )
    return collect(name, meta, p, files)
  }
  return { result, meta, runPost }
}

function collect(name, meta, proc, files) {
  const outputs = parseFileCommands(readFileSync(files.output, 'utf8'))
  const declared = Object.keys(meta.outputs ?? {})
  const undeclared = Object.keys(outputs).filter((k) => !declared.includes(k))
  if (undeclared.length) throw new Error(`harness: ${name} set undeclared output(s): ${undeclared.join(', ')}`)
  return {
    code: proc.code,
    stdout: proc.stdout,
    stderr: proc.stderr,
    outputs,
    state: parseFileCommands(readFileSync(files.state, 'utf8')),
    env: parseFileCommands(readFileSync(files.env, 'utf8')),
    path: readFileSync(files.path, 'utf8').split('\n').filter(Boolean),
    summary: readFileSync(files.summary, 'utf8'),
    annotations: parseAnnotations(proc.stdout)
  }
}
