/**
 * Globs matched against the file list git already gave us (no directory walk):
 * picomatch compiles each pattern to one regular expression. Lines starting
 * with `!` exclude, as in actions/cache and .gitignore.
 */
import picomatch from 'picomatch'

export interface GlobSet {
  patterns: string[]
  /** True when a relative '/'-separated path is selected. */
  match(path: string): boolean
}

export class GlobError extends Error {}

const OPTIONS = { dot: true, strictBrackets: true } as const

/** Checks one pattern; throws GlobError saying what is wrong. */
export function checkGlob(raw: string): string {
  const neg = raw.startsWith('!')
  const p = neg ? raw.slice(1) : raw
  if (p === '') throw new GlobError(`'${raw}' is empty after '!'`)
  if (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p))
    throw new GlobError(`'${raw}' is absolute; use a path relative to working-directory`)
  if (p.split('/').includes('..')) throw new GlobError(`'${raw}' leaves working-directory ('..')`)
  if (p.includes('\\')) throw new GlobError(`'${raw}' contains '\\'; use '/' as the separator`)
  try {
    picomatch.makeRe(p, OPTIONS)
  } catch (e) {
    throw new GlobError(`'${raw}' is not a valid glob (${e instanceof Error ? e.message : String(e)})`)
  }
  return raw
}

function normalise(p: string): string {
  return p.replace(/^\.\//, '').replace(/\/+$/, '')
}

/**
 * @param under prefixes every pattern (a component directory)
 * @param asDir also selects everything below a matched directory (outputs such as `dist`)
 */
export function compileGlobs(patterns: readonly string[], under = '', asDir = false): GlobSet {
  const pos: string[] = []
  const neg: string[] = []
  for (const raw of patterns) {
    const isNeg = raw.startsWith('!')
    let p = normalise(isNeg ? raw.slice(1) : raw)
    if (under) p = p === '' || p === '.' ? under : `${under}/${p}`
    const list = isNeg ? neg : pos
    list.push(p)
    if (asDir) list.push(`${p}/**`)
  }
  const yes = oneRegex(pos)
  const no = oneRegex(neg)
  return { patterns: [...patterns], match: (path) => yes(path) && !no(path) }
}

/** All patterns as one alternation: one regex test per path however many patterns there are. */
function oneRegex(patterns: readonly string[]): (path: string) => boolean {
  if (patterns.length === 0) return () => false
  const re = new RegExp(patterns.map((p) => picomatch.makeRe(p, OPTIONS).source).join('|'))
  return (path) => re.test(path)
}

/** Several sets as one (a path is selected when any set selects it). */
export function anyOf(sets: readonly GlobSet[]): GlobSet {
  return { patterns: sets.flatMap((s) => s.patterns), match: (p) => sets.some((s) => s.match(p)) }
}

/** The part of a pattern before its first wildcard: where a file-system walk must start. */
export function staticBase(pattern: string): string {
  return picomatch.scan(pattern).base
}
