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
}

/** Parses a path; throws with the parser's message when it is not valid JSONPath. */
export function compilePath(text: string): CompiledPath {
  let ast: ReturnType<typeof parse>
  try {
    ast = parse(text)
  } catch (e) {
    throw new Error(`invalid JSONPath '${text}': ${e instanceof Error ? e.message : String(e)}`)
  }
  const singular = ast.segments.every(
    (s) =>
      s.type === 'ChildSegment' &&
      (s.node.type === 'MemberNameShorthand' ||
        (s.node.type === 'BracketedSelection' &&
          s.node.selectors.length === 1 &&
          (s.node.selectors[0]?.type === 'NameSelector' || s.node.selectors[0]?.type === 'IndexSelector')))
  )
  return { text, singular }
}

export interface PathResult {
  /** Something matched. */
  found: boolean
  /** The one value of a singular path (undefined when not found); the (maybe empty) array of matches otherwise. */
  value: unknown
}

export function evaluate(path: CompiledPath, doc: unknown): PathResult {
  const values = query(doc as JsonValue, path.text)
  if (path.singular) return { found: values.length > 0, value: values[0] }
  return { found: values.length > 0, value: values }
}
