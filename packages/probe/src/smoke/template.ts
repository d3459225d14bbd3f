/**
 * ${VAR} expansion. References are found when the spec is loaded (so an
 * undefined one fails before any request) and expanded per attempt, when the
 * captures of the checks a check needs are known. `$${` is a literal `${`.
 */
export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/

const REF = /\$\$\{|\$\{([^}]*)\}?/g

export class TemplateError extends Error {}

/** The variable names a string refers to; throws TemplateError on a malformed reference. */
export function references(text: string): string[] {
  const out: string[] = []
  for (const m of text.matchAll(REF)) {
    if (m[0] === '$${') continue
    const name = m[1] ?? ''
    if (!m[0].endsWith('}') || !VAR_NAME.test(name)) {
      throw new TemplateError(`malformed variable reference '${m[0]}': expected \${NAME} (letters, digits, _ . -)`)
    }
    out.push(name)
  }
  return out
}

export type Lookup = (name: string) => unknown

/** Expands every ${NAME}; a name the lookup does not know is an error (validation should have caught it). */
export function expand(text: string, lookup: Lookup): string {
  return text.replace(REF, (whole, name: string | undefined) => {
    if (whole === '$${') return '${'
    const v = lookup(name ?? '')
    if (v === undefined) throw new TemplateError(`undefined variable \${${name}}`)
    return typeof v === 'string' ? v : JSON.stringify(v)
  })
}

/**
 * A string that is exactly one reference keeps the variable's JSON type (a
 * captured id 42 stays a number in a JSON body or an expected value).
 */
export function expandValue(text: string, lookup: Lookup): unknown {
  const m = /^\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}$/.exec(text)
  if (m) {
    const v = lookup(m[1] as string)
    if (v === undefined) throw new TemplateError(`undefined variable \${${m[1]}}`)
    return v
  }
  return expand(text, lookup)
}

/** Expands every string inside a JSON-like value. */
export function expandDeep(value: unknown, lookup: Lookup): unknown {
  if (typeof value === 'string') return expandValue(value, lookup)
  if (Array.isArray(value)) return value.map((v) => expandDeep(v, lookup))
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandDeep(v, lookup)]))
  }
  return value
}

/** Every reference inside a JSON-like value. */
export function deepReferences(value: unknown): string[] {
  if (typeof value === 'string') return references(value)
  if (Array.isArray(value)) return value.flatMap(deepReferences)
  if (value && typeof value === 'object') return Object.values(value).flatMap(deepReferences)
  return []
}

/**
 * The part of the environment a spec's ${VAR} may read: variables whose names
 * start with SMOKE_, never the rest of the step's environment (the runner's
 * ACTIONS_RUNTIME_TOKEN, a GITHUB_TOKEN set for another step).
 */
export const ENV_PREFIX = 'SMOKE_'

export function specEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (k.startsWith(ENV_PREFIX) && v !== undefined) out[k] = v
  return out
}
