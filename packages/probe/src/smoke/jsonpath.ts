/**
 * JSONPath on jsonpath-rfc9535: the RFC 9535 language ($.a.b, $['a'], [0],
 * [*], slices, filters) with no script evaluation at all, so a spec can never
 * run code. A "singular" path (names and indexes only) denotes one value or
 * nothing; any other path denotes the list of everything it matches.
 */
import { query, type JsonValue } from 'jsonpath-rfc9535'
import parse from 'jsonpath-rfc9535/parser'

export interface CompiledPath {
  text: string
  singular: boolean
  /** For a singular path: its member names and indexes, walked without re-parsing. */
  steps?: Array<string | number>
}

/** Specs repeat the same paths check after check: parse each text once. */
const compiled = new Map<string, CompiledPath>()

/** Parses a path; throws with the parser's message when it is not valid JSONPath. */
export function compilePath(text: string): CompiledPath {
  let path = compiled.get(text)
  if (!path) {
    path = Object.freeze(parsePath(text))
    compiled.set(text, path)
  }
  return path
}

function parsePath(text: string): CompiledPath {
  let ast: ReturnType<typeof parse>
  try {
    ast = parse(text)
  } catch (e) {
    throw new Error(`invalid JSONPath '${text}': ${e instanceof Error ? e.message : String(e)}`)
  }
  const steps: Array<string | number> = []
  for (const s of ast.segments) {
    if (s.type !== 'ChildSegment') return { text, singular: false }
    if (s.node.type === 'MemberNameShorthand') {
      steps.push(s.node.value)
      continue
    }
    const only = s.node.type === 'BracketedSelection' && s.node.selectors.length === 1 ? s.node.selectors[0] : undefined
    if (only?.type === 'NameSelector' || only?.type === 'IndexSelector') steps.push(only.value)
    else return { text, singular: false }
  }
  return { text, singular: true, steps }
}

export interface PathResult {
  /** Something matched. */
  found: boolean
  /** The one value of a singular path (undefined when not found); the (maybe empty) array of matches otherwise. */
  value: unknown
}

export function evaluate(path: CompiledPath, doc: unknown): PathResult {
  if (path.steps) return walk(path.steps, doc)
  const values = query(doc as JsonValue, path.text)
  if (path.singular) return { found: values.length > 0, value: values[0] }
  return { found: values.length > 0, value: values }
}

/** RFC 9535 semantics for names and indexes: a name selects an object member, an index an array element (negative from the end). */
function walk(steps: ReadonlyArray<string | number>, doc: unknown): PathResult {
  let cur: unknown = doc
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(cur)) return { found: false, value: undefined }
      const i = step < 0 ? cur.length + step : step
      if (i < 0 || i >= cur.length) return { found: false, value: undefined }
      cur = cur[i]
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, step)) {
        return { found: false, value: undefined }
      }
      cur = (cur as Record<string, unknown>)[step]
    }
  }
  return { found: true, value: cur }
}
