/** The loaded, validated spec that the runner executes; every part knows its line in the spec. */
import type { StatusSet } from '@gantry/core'
import type { CompiledPath } from './jsonpath.js'

export interface Located {
  line: number
  column: number
}

export type JsonOp = 'equals' | 'exists' | 'matches' | 'gt' | 'lt' | 'length'

export interface JsonAssertion extends Located {
  path: CompiledPath
  op: JsonOp
  /** For equals: the YAML value, whose strings may hold ${VAR}. */
  expected: unknown
  regex?: RegExp
}

export interface HeaderAssertion extends Located {
  name: string
  /** An exact value (may hold ${VAR}) ... */
  exact?: string
  /** ... or a /regex/. */
  regex?: RegExp
}

export interface TextAssertion extends Located {
  text: string
}

export interface RegexAssertion extends Located {
  regex: RegExp
}

export interface Expectations {
  status: StatusSet
  statusLine: number
  headers: HeaderAssertion[]
  bodyContains: TextAssertion[]
  bodyMatches: RegexAssertion[]
  json: JsonAssertion[]
  maxLatencyMs?: number
  maxLatencyLine?: number
}

export interface Capture extends Located {
  name: string
  from: { kind: 'jsonpath'; path: CompiledPath } | { kind: 'header'; name: string }
}

export interface CheckRequest {
  method: string
  /** May hold ${VAR}; relative to the base URL unless absolute. */
  url: string
  headers: Array<[string, string]>
  query: Array<[string, string]>
  json?: unknown
  body?: string
}

export interface Check extends Located {
  index: number
  name: string
  request: CheckRequest
  expect: Expectations
  capture: Capture[]
  needs: string[]
  retries?: number
  timeoutMs?: number
}

export interface Spec {
  /** The spec path as reported in annotations. */
  file: string
  /** Spec vars overlaid with the vars input. */
  vars: Record<string, string>
  checks: Check[]
}

/** Every check c needs, directly or through others (needs are known to exist and form no cycle). */
export function neededChecks(c: Check, byName: ReadonlyMap<string, Check>): Check[] {
  const seen = new Map<string, Check>()
  const visit = (x: Check) => {
    for (const n of x.needs) {
      if (seen.has(n)) continue
      const dep = byName.get(n) as Check
      seen.set(n, dep)
      visit(dep)
    }
  }
  visit(c)
  return [...seen.values()]
}
