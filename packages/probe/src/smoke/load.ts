/**
 * Loads a smoke spec: YAML parsed with source positions, checked against the
 * zod schema, then for meaning (durations, status sets, regexes, JSONPath,
 * needs, ${VAR}). Every problem names file:line:column and the field, and all
 * of them are reported at once — before any request is sent.
 */
import type * as z from 'zod/mini'
import { specSchema, type RawSpec } from './schema.js'
import { compileSpec } from './compile.js'
import { parseSource, type PathKey } from './source.js'
import { SourceMap, type LoadOptions, type SpecProblem } from './problem.js'
import type { Spec } from './model.js'

export { SourceMap, type LoadOptions, type SpecProblem }

/**
 * The largest spec smoke-test reads: 2 MiB is thousands of checks, and parsing
 * holds many times the text in memory (bench/NOTES.md has the figures), so a
 * larger file is refused before it is read.
 */
export const MAX_SPEC_BYTES = 2 * 1024 * 1024

/** A spec that cannot run; message is the first problem, problems has them all. */
export class SpecError extends Error {
  override name = 'SpecError'
  constructor(
    readonly file: string,
    readonly problems: SpecProblem[]
  ) {
    const first = problems[0]
    const more =
      problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : ''
    super(`${first ? formatProblem(file, first) : `${file}: invalid spec`}${more}`)
  }
}

export function formatProblem(file: string, p: SpecProblem): string {
  return `${file}:${p.line}:${p.column}: ${p.field ? `${p.field}: ` : ''}${p.message}`
}

/** Parses, validates and compiles a spec; throws SpecError listing every problem. */
export function loadSpec(text: string, options: LoadOptions): Spec {
  const source = parseSource(text)
  if (!source.ok) {
    const { line, column, message } = source.error
    throw new SpecError(options.file, [{ line, column, field: '', message: `YAML: ${message}` }])
  }
  const raw = source.raw
  const map = new SourceMap(source.positions, raw)
  if (raw === null || raw === undefined) {
    throw new SpecError(options.file, [
      { line: 1, column: 1, field: '', message: "the spec is empty: expected a map with 'checks:'" }
    ])
  }
  const parsed = specSchema.safeParse(raw)
  if (!parsed.success) {
    throw new SpecError(options.file, parsed.error.issues.map((i) => describeIssue(i, map, raw)).sort(byPosition))
  }
  const problems: SpecProblem[] = []
  const spec = compileSpec(parsed.data as RawSpec, map, options, problems)
  if (problems.length > 0) throw new SpecError(options.file, problems.sort(byPosition))
  return spec
}

function byPosition(a: SpecProblem, b: SpecProblem): number {
  return a.line - b.line || a.column - b.column
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map',
  record: 'a map'
}

function describeIssue(issue: z.core.$ZodIssue, map: SourceMap, raw: unknown): SpecProblem {
  const path = issue.path.filter((k): k is PathKey => typeof k !== 'symbol')
  const actual = valueAt(raw, path)
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0] ?? ''
      const keyPath = [...path, key]
      const others =
        issue.keys.length > 1
          ? ` (also ${issue.keys
              .slice(1)
              .map((k) => `'${k}'`)
              .join(', ')})`
          : ''
      return map.problem(keyPath, `unknown key '${key}'${others}`, true)
    }
    case 'invalid_type':
      if (actual === undefined)
        return map.problem(path, `is required: expected ${TYPE_WORDS[issue.expected] ?? issue.expected}`)
      return map.problem(path, `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}, got ${shown(actual)}`)
    case 'invalid_union': {
      if (!issue.message.startsWith('Invalid input')) return map.problem(path, `${issue.message}, got ${shown(actual)}`)
      const forms = issue.errors
        .map((branch) => branch[0])
        .filter((i) => i?.code === 'invalid_type' && i.path.length === 0)
        .map((i) => TYPE_WORDS[(i as { expected: string }).expected] ?? (i as { expected: string }).expected)
      const expected = forms.length > 0 ? [...new Set(forms)].join(' or ') : 'another form'
      return map.problem(path, `expected ${expected}, got ${shown(actual)}`)
    }
    case 'too_small':
      if (Array.isArray(actual))
        return map.problem(path, `expected at least ${issue.minimum} item(s), got ${actual.length}`)
      if (typeof actual === 'string') return map.problem(path, 'must not be empty')
      return map.problem(path, `expected at least ${issue.minimum}, got ${shown(actual)}`)
    case 'too_big':
      return map.problem(path, `expected at most ${issue.maximum}, got ${shown(actual)}`)
    default:
      return map.problem(path, issue.message)
  }
}

function valueAt(root: unknown, path: readonly PathKey[]): unknown {
  let cur: unknown = root
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<PathKey, unknown>)[k]
  }
  return cur
}

/** A short rendering of a YAML value for messages. */
export function shown(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a map'
  const s = JSON.stringify(v)
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}
