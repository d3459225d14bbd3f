// Expressions for the local workflow runner: GitHub's own lexer, parser and
// evaluator (@actions/expressions), plus what that package leaves to the
// runner: the status functions, hashFiles(), and contexts that fail on a
// name nobody defined (a misspelt step id, input or secret fails the run
// here, where GitHub would quietly give null).
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { Evaluator, Lexer, Parser, data } from '@actions/expressions'
import { TokenType } from '@actions/expressions/lexer'
import picomatch from 'picomatch'
import { parse as parseYaml } from 'yaml'

/** An error in a workflow (its YAML, an expression, an input): the run stops with this message. */
export class WorkflowError extends Error {
  name = 'WorkflowError'
}

/** A dictionary that refuses a key nobody set: `what` names it in the message. */
export class StrictDictionary extends data.Dictionary {
  /** @param {string} what e.g. "steps" or "steps.deploy.outputs" @param {string} [hint] */
  constructor(what, hint = '') {
    super()
    this.what = what
    this.hint = hint
  }
  get(key) {
    const v = super.get(key)
    if (v === undefined) {
      const known = this.pairs().map((p) => p.key)
      throw new WorkflowError(
        `${this.what}.${key} is not defined${this.hint ? ` (${this.hint})` : ''}; known: ${known.length ? known.join(', ') : 'none'}`
      )
    }
    return v
  }
}

/**
 * Plain JS → expression data. Objects are lenient dictionaries; pass a
 * StrictDictionary (or use strict()) where a missing key is a bug.
 */
export function toData(v) {
  if (v === null || v === undefined) return new data.Null()
  if (typeof v === 'string') return new data.StringData(v)
  if (typeof v === 'number') return new data.NumberData(v)
  if (typeof v === 'boolean') return new data.BooleanData(v)
  if (Array.isArray(v)) return new data.Array(...v.map(toData))
  // Already expression data (a Dictionary, a StrictDictionary, an Array…).
  if (typeof v === 'object' && 'kind' in v && typeof v.coerceString === 'function') return v
  const d = new data.Dictionary()
  for (const [k, val] of Object.entries(v)) d.add(k, toData(val))
  return d
}

/** A StrictDictionary holding the entries of a plain object. */
export function strict(what, obj, hint) {
  const d = new StrictDictionary(what, hint)
  for (const [k, v] of Object.entries(obj)) d.add(k, toData(v))
  return d
}

/** Expression data → plain JS (dictionaries become objects, arrays arrays). */
export function toJs(d) {
  switch (d.kind) {
    case data.Kind.Null:
      return null
    case data.Kind.String:
    case data.Kind.Boolean:
    case data.Kind.Number:
      return d.value
    case data.Kind.Array:
      return d.values().map(toJs)
    case data.Kind.Dictionary:
      return Object.fromEntries(d.pairs().map((p) => [p.key, toJs(p.value)]))
    default:
      return d.coerceString()
  }
}

/** The runner's truthiness for if: conditions (GitHub's coercion to boolean). */
export function truthy(d) {
  switch (d.kind) {
    case data.Kind.Null:
      return false
    case data.Kind.Boolean:
      return d.value
    case data.Kind.Number:
      return d.value !== 0 && !Number.isNaN(d.value)
    case data.Kind.String:
      return d.value !== ''
    default:
      return true
  }
}

/**
 * The status functions. For a step: the job's status so far (a step that
 * failed under continue-on-error leaves it at success). For a job: the
 * results of every job it needs, directly or through another job.
 * @param {{ status: 'success'|'failure'|'cancelled', cancelled: boolean }} state
 */
export function statusFunctions(state) {
  const b = (v) => new data.BooleanData(v)
  return {
    success: () => b(!state.cancelled && state.status === 'success'),
    failure: () => b(!state.cancelled && state.status === 'failure'),
    cancelled: () => b(state.cancelled),
    always: () => b(true)
  }
}

/** Job-level status from the results of its ancestor jobs (GitHub: "any ancestor job"). */
export function jobStatusFrom(ancestorResults, cancelled) {
  if (cancelled) return { status: 'cancelled', cancelled: true }
  if (ancestorResults.some((r) => r === 'failure')) return { status: 'failure', cancelled: false }
  // A skipped or cancelled ancestor makes success() false without making failure() true.
  if (ancestorResults.some((r) => r !== 'success')) return { status: 'skipped', cancelled: false }
  return { status: 'success', cancelled: false }
}

/**
 * hashFiles(patterns…): as the runner's (which uses @actions/glob): the
 * sha256 of the sha256 digests of the regular files under the workspace that
 * the patterns match, in the order the glob walk meets them; '' when none match.
 * `!pattern` excludes. test/unit/workflow-expressions.test.ts checks it
 * against @actions/glob's hashFiles.
 */
export function hashFiles(workspace, patterns) {
  const include = []
  const exclude = []
  for (const p of patterns) {
    for (const line of p.split('\n').map((l) => l.trim())) {
      if (!line || line.startsWith('#')) continue
      if (line.startsWith('!')) exclude.push(line.slice(1))
      else include.push(line)
    }
  }
  const opts = { dot: true }
  const strip = (p) => p.replace(/^\.\//, '')
  const inc = include.map((p) => picomatch(strip(p), opts))
  const exc = exclude.map((p) => picomatch(strip(p), opts))
  const result = createHash('sha256')
  let count = 0
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name)
      const st = statSync(full, { throwIfNoEntry: false })
      if (!st) continue
      if (st.isDirectory()) walk(full)
      else if (st.isFile()) {
        const rel = relative(workspace, full).split(sep).join('/')
        if (inc.some((m) => m(rel)) && !exc.some((m) => m(rel))) {
          result.update(createHash('sha256').update(readFileSync(full)).digest())
          count++
        }
      }
    }
  }
  walk(workspace)
  return count ? result.digest('hex') : ''
}

/** Extension functions the parser must know (name, arity) beyond the built-in ones. */
const EXTENSION_FUNCTIONS = [
  { name: 'success', minArgs: 0, maxArgs: 0 },
  { name: 'failure', minArgs: 0, maxArgs: 0 },
  { name: 'cancelled', minArgs: 0, maxArgs: 0 },
  { name: 'always', minArgs: 0, maxArgs: 0 },
  { name: 'hashFiles', minArgs: 1, maxArgs: 255 }
]

/**
 * Evaluates one expression (the text inside ${{ }}).
 * @param {string} expression
 * @param {Record<string, import('@actions/expressions').data.ExpressionData>} contexts
 * @param {{ status?: object, workspace?: string, where?: string }} [opts]
 */
export function evaluate(expression, contexts, opts = {}) {
  const where = opts.where ? `${opts.where}: ` : ''
  let tree
  try {
    const lexed = new Lexer(expression).lex()
    // @actions/expressions 0.3.61 unescapes only the first '' of a string literal
    // (value.replace("''", "'")): 'a ''q'' b' read "a 'q'' b". GitHub's runner unescapes every one.
    for (const t of lexed.tokens) if (t.type === TokenType.STRING) t.value = t.lexeme.slice(1, -1).split("''").join("'")
    tree = new Parser(lexed.tokens, Object.keys(contexts), EXTENSION_FUNCTIONS).parse()
  } catch (e) {
    throw new WorkflowError(`${where}\${{ ${expression} }}: ${e.message}`)
  }
  const dict = new data.Dictionary()
  for (const [k, v] of Object.entries(contexts)) dict.add(k, v)
  const functions = new Map()
  const status = opts.status ? statusFunctions(opts.status) : undefined
  for (const f of EXTENSION_FUNCTIONS) {
    functions.set(f.name.toLowerCase(), {
      ...f,
      call: (...args) => {
        if (f.name === 'hashFiles') {
          if (!opts.workspace) throw new WorkflowError(`${where}hashFiles() is not available here`)
          return new data.StringData(
            hashFiles(
              opts.workspace,
              args.map((a) => a.coerceString())
            )
          )
        }
        if (!status) throw new WorkflowError(`${where}${f.name}() is not available here`)
        return status[f.name]()
      }
    })
  }
  try {
    return new Evaluator(tree, dict, functions).evaluate()
  } catch (e) {
    throw new WorkflowError(`${where}\${{ ${expression} }}: ${e.message}`)
  }
}

/**
 * A block scalar (`|`, `>-`, …) holding `${{ }}`, evaluated as GitHub's runner
 * reads it. @actions/workflow-parser builds such a token's format() from the raw
 * source lines, indentation and unfolded line breaks included
 * ("format('            {0}/healthz\n…')"); the runner's own parser decodes the
 * block first. So: decode the source as YAML with its header, then evaluate each
 * `${{ }}` in the text and join, as format() would.
 * @param {{ source: string, blockScalarHeader: string }} tok
 * @param {(expression: string) => { coerceString(): string }} evaluateOne
 */
export function evaluateBlockScalar(tok, evaluateOne) {
  const text = parseYaml(`k: ${tok.blockScalarHeader}\n${tok.source}`).k
  let out = ''
  let last = 0
  for (const m of text.matchAll(/\$\{\{([\s\S]*?)\}\}/g)) {
    out += text.slice(last, m.index) + evaluateOne(m[1].trim()).coerceString()
    last = m.index + m[0].length
  }
  return new data.StringData(out + text.slice(last))
}
