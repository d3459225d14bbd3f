/**
 * What compiling and loading a spec share: its problems, the load options and
 * the source map that places a problem in the file. A module of its own so
 * compile.ts and load.ts need not import each other.
 */
import type { PathKey, PositionIndex } from './source.js'

export interface SpecProblem {
  line: number
  column: number
  field: string
  message: string
}

export interface LoadOptions {
  /** The spec path as annotations should name it. */
  file: string
  /** The vars input (wins over the spec's vars). */
  vars?: Record<string, string>
  env?: Record<string, string | undefined>
  /** Empty: every check URL must be absolute. */
  baseUrl?: string
}

/** Positions and field names for paths into the parsed document. */
export class SourceMap {
  constructor(
    private readonly positions: PositionIndex,
    private readonly raw: unknown
  ) {}

  /** Line and column of the node at path (or of its nearest existing parent). */
  at(path: readonly PathKey[], key = false): { line: number; column: number } {
    return this.positions.at(path, key)
  }

  /** `check 'login' expect.json["$.a"]`, or `vars.X` outside the checks. */
  field(path: readonly PathKey[]): string {
    let head = ''
    let rest = path
    if (path[0] === 'checks' && typeof path[1] === 'number') {
      const name = (this.raw as { checks?: Array<{ name?: unknown }> })?.checks?.[path[1]]?.name
      head = typeof name === 'string' && name !== '' ? `check '${name}'` : `checks[${path[1]}]`
      rest = path.slice(2)
    }
    let body = ''
    for (const k of rest) {
      if (typeof k === 'number') body += `[${k}]`
      else if (/^[A-Za-z_][\w-]*$/.test(k)) body += body === '' ? k : `.${k}`
      else body += `[${JSON.stringify(k)}]`
    }
    return [head, body].filter((s) => s !== '').join(' ')
  }

  /** With key, the problem is about the key itself: its position, and its parent as the field. */
  problem(path: readonly PathKey[], message: string, key = false): SpecProblem {
    return { ...this.at(path, key), field: this.field(key ? path.slice(0, -1) : path), message }
  }
}
