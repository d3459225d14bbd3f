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
  /** When every pattern is a plain path (no wildcard, no '!'): those paths. */
  literals?: string[]
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
    ;(isNeg ? neg : pos).push(p)
  }
  const yes = matcher(pos, asDir)
  const no = matcher(neg, asDir)
  const literals = neg.length === 0 && pos.every(isLiteral) ? pos : undefined
  return { patterns: [...patterns], match: (path) => yes(path) && !no(path), literals }
}

function isLiteral(p: string): boolean {
  return !picomatch.scan(p).isGlob && !/[\\{}()!+@*?[\]]/.test(p)
}

/**
 * Literal patterns (most output paths: `packages/a/dist`) are looked up in a
 * Set, the path and each parent; the rest are one regex alternation. Either
 * way one pass per path, however many patterns there are.
 */
function matcher(patterns: readonly string[], asDir: boolean): (path: string) => boolean {
  const literal = new Set<string>()
  const sources: string[] = []
  for (const p of patterns) {
    if (isLiteral(p)) literal.add(p)
    else {
      sources.push(picomatch.makeRe(p, OPTIONS).source)
      if (asDir) sources.push(picomatch.makeRe(`${p}/**`, OPTIONS).source)
    }
  }
  const re = sources.length ? new RegExp(sources.join('|')) : undefined
  if (!re && literal.size === 0) return () => false
  // A path can only be at or under a literal if it contains the literal's last segment:
  // one substring search rules out almost every input file without allocating.
  const lastSegments = [...new Set([...literal].map((l) => l.slice(l.lastIndexOf('/') + 1)))]
  const maybeLiteral = (path: string) => lastSegments.some((seg) => path.includes(seg))
  return (path) => {
    if (literal.size && maybeLiteral(path)) {
      if (literal.has(path)) return true
      if (asDir) {
        for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
          if (literal.has(path.slice(0, i))) return true
        }
      }
    }
    return re ? re.test(path) : false
  }
}

/** Several sets as one (a path is selected when any set selects it). */
export function anyOf(sets: readonly GlobSet[]): GlobSet {
  return { patterns: sets.flatMap((s) => s.patterns), match: (p) => sets.some((s) => s.match(p)) }
}

/** The part of a pattern before its first wildcard: where a file-system walk must start. */
export function staticBase(pattern: string): string {
  return picomatch.scan(pattern).base
}
