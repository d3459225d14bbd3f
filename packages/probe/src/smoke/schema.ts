/**
 * The smoke spec's shape, as one zod schema: it validates specs at run time
 * and is also the source of actions/smoke-test/spec.schema.json (editors
 * complete and check specs with it), so the two cannot drift apart.
 *
 * The schema checks structure only; the meaning of strings (durations, status
 * sets, regexes, JSONPath, ${VAR} references) is checked in validate.ts, where
 * the error can point at the exact line.
 */
import * as z from 'zod/mini'

/** Describes a schema for the JSON Schema (editors show it as the field's help). */
const about = <T extends z.ZodMiniType>(schema: T, description: string): T => schema.check(z.meta({ description }))

const scalar = z.union([z.string(), z.number(), z.boolean()])

const duration = about(
  z.union([z.string(), z.number().check(z.nonnegative())]),
  'A duration such as 250ms, 5s, 2m, 1d or 1m30s; a bare number is seconds.'
)

const regexOrText = z.string()

const matcher = about(
  z.strictObject({
    equals: about(z.optional(z.unknown()), 'Deep equality with this value.'),
    exists: about(z.optional(z.boolean()), 'true: the path matches something; false: it matches nothing.'),
    matches: about(z.optional(z.string()), 'A regular expression (/re/flags or a bare pattern) the value must match.'),
    gt: about(z.optional(z.number()), 'The value is a number greater than this.'),
    lt: about(z.optional(z.number()), 'The value is a number less than this.'),
    length: about(
      z.optional(z.int().check(z.nonnegative())),
      'Length of the array or string (for a path with wildcards: the number of matches).'
    )
  }),
  'Operators on the value at the path; every one given must hold.'
)

export const MATCHER_KEYS = ['equals', 'exists', 'matches', 'gt', 'lt', 'length'] as const

const capture = z.union([
  about(z.string(), 'A JSONPath into the JSON response body, e.g. $.token.'),
  z.strictObject({ jsonpath: about(z.string(), 'A JSONPath into the JSON response body.') }),
  z.strictObject({ header: about(z.string(), 'A response header name (case-insensitive).') })
])

const request = about(
  z.strictObject({
    method: about(z.optional(z.string()), 'HTTP method (default GET).'),
    url: about(z.string(), 'URL relative to the base-url input (or absolute). ${VAR} expands.'),
    headers: about(z.optional(z.record(z.string(), scalar)), 'Request headers; values expand ${VAR}.'),
    query: about(z.optional(z.record(z.string(), scalar)), 'Query parameters added to the URL.'),
    json: about(z.optional(z.unknown()), 'A JSON body (sets Content-Type: application/json).'),
    body: about(z.optional(z.string()), 'A raw text body.')
  }),
  'The request to send.'
)

const status = about(
  z.union([z.int(), z.string(), z.array(z.union([z.int(), z.string()]))]),
  'Accepted status codes: 200, "2xx", "200-299", "200,204" or a list. Default: 2xx.'
)

const expect = about(
  z.strictObject({
    status: z.optional(status),
    headers: about(z.optional(z.record(z.string(), scalar)), 'Response headers: exact value, or /regex/flags.'),
    'body-contains': about(z.optional(z.union([z.string(), z.array(z.string())])), 'Text(s) the body must contain.'),
    'body-matches': about(
      z.optional(z.union([regexOrText, z.array(regexOrText)])),
      'Regular expression(s) the body must match (/re/flags or a bare pattern).'
    ),
    json: about(
      z.optional(z.record(z.string(), z.unknown())),
      'JSONPath → expected value, or an object of operators {equals, exists, matches, gt, lt, length}.'
    ),
    'max-latency': about(z.optional(duration), 'Upper bound on the response time.')
  }),
  'What the response must look like.'
)

export const checkSchema = about(
  z.strictObject({
    name: about(z.string().check(z.minLength(1)), 'Unique name of the check (used by needs and in reports).'),
    request,
    expect: z.optional(expect),
    capture: about(
      z.optional(z.record(z.string(), capture)),
      'Variables to capture from the response for checks that need this one.'
    ),
    needs: about(
      z.optional(z.union([z.string(), z.array(z.string())])),
      'Checks that must pass first (their captures become variables here).'
    ),
    retries: about(z.optional(z.int().check(z.minimum(0), z.maximum(20))), 'Retries of this check when it fails.'),
    timeout: about(z.optional(duration), 'Timeout of each request of this check.')
  }),
  'One HTTP check.'
)

export const specSchema = z
  .strictObject({
    vars: about(
      z.optional(z.record(z.string(), scalar)),
      'Default variables; the vars input and captures take precedence.'
    ),
    checks: about(z.array(checkSchema).check(z.minLength(1)), 'The checks to run.')
  })
  .check(
    z.meta({
      title: 'Gantry smoke-test spec',
      description: 'Declarative HTTP smoke checks run by the Gantry smoke-test action.'
    })
  )

export type RawSpec = z.infer<typeof specSchema>
export type RawCheck = z.infer<typeof checkSchema>
export type RawMatcher = z.infer<typeof matcher>
export { matcher as matcherSchema }

/** The JSON Schema committed at actions/smoke-test/spec.schema.json. */
export function specJsonSchema(): Record<string, unknown> {
  const json = z.toJSONSchema(specSchema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as JsonSchema
  return tighten(json)
}

type JsonSchema = Record<string, unknown>

/**
 * Patterns for the strings the loader checks in compile.ts (durations, status
 * sets, methods, URLs, header names and values, variable and capture names,
 * JSONPath keys), so an editor flags `status: banana`, `max-latency: fast` or
 * `timeout: soon` as the action would. They are added to the JSON Schema only:
 * at run time compile.ts checks the same and says so at the line, in words.
 * A test holds every loader error to a schema error (or names why not).
 */
const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?|(\\d+(\\.\\d+)?(ms|s|m|h|d))+)\\s*$'
const STATUS_ITEM = '(?:[1-5][xX][xX]|[1-5]\\d\\d(?:\\s*-\\s*[1-5]\\d\\d)?)'
const STATUS_PATTERN = `^\\s*${STATUS_ITEM}(?:\\s*,\\s*${STATUS_ITEM})*\\s*$`
const TOKEN_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"
const VAR_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]*$'
const JSONPATH_PATTERN = '^\\$'
/** A method token, but not CONNECT (a tunnel, not a request). */
const METHOD_PATTERN = '^(?![Cc][Oo][Nn][Nn][Ee][Cc][Tt]$)[A-Za-z]+$'
/** A path relative to base-url, or an http(s) URL: no other scheme. */
const URL_PATTERN = '^(?:[Hh][Tt][Tt][Pp][Ss]?:|(?![A-Za-z][A-Za-z0-9+.-]*:))'
/** Latin-1 text without control characters (what HTTP/1.1 can send in a header value). */
const HEADER_VALUE_PATTERN = '^[\\t\\x20-\\x7e\\x80-\\xff]*$'
/** 2^31-1 ms in seconds: a check's timeout becomes a timer. */
const MAX_TIMER_S = (2 ** 31 - 1) / 1000

function tighten(root: JsonSchema): JsonSchema {
  const props = (o: unknown): Record<string, JsonSchema> => (o as { properties: Record<string, JsonSchema> }).properties
  const branches = (o: JsonSchema): JsonSchema[] => (o.anyOf as JsonSchema[] | undefined) ?? [o]
  const strings = (o: JsonSchema, extra: JsonSchema) => {
    for (const b of branches(o)) if (b.type === 'string') Object.assign(b, extra)
  }
  const numbers = (o: JsonSchema, extra: JsonSchema) => {
    for (const b of branches(o)) if (b.type === 'number' || b.type === 'integer') Object.assign(b, extra)
  }
  const keys = (o: JsonSchema, pattern: string) => {
    o.propertyNames = { type: 'string', pattern }
  }

  keys(props(root).vars as JsonSchema, VAR_PATTERN)
  const check = (props(root).checks as { items: JsonSchema }).items
  const c = props(check)
  strings(c.timeout as JsonSchema, { pattern: DURATION_PATTERN })
  numbers(c.timeout as JsonSchema, { exclusiveMinimum: 0, maximum: MAX_TIMER_S })
  for (const b of branches(c.timeout as JsonSchema)) delete b.minimum
  const request = c.request as JsonSchema
  const r = props(request)
  strings(r.method as JsonSchema, { pattern: METHOD_PATTERN })
  strings(r.url as JsonSchema, { pattern: URL_PATTERN })
  keys(r.headers as JsonSchema, TOKEN_PATTERN)
  ;(r.headers as JsonSchema).additionalProperties = {
    anyOf: [{ type: 'string', pattern: HEADER_VALUE_PATTERN }, { type: 'number' }, { type: 'boolean' }]
  }
  request.not = { properties: { json: true, body: true }, required: ['json', 'body'] }
  const e = props(c.expect)
  for (const b of branches(e.status as JsonSchema)) {
    const each = b.type === 'array' ? (b.items as JsonSchema) : b
    strings(each, { pattern: STATUS_PATTERN })
    for (const x of branches(each)) if (x.type === 'integer') Object.assign(x, { minimum: 100, maximum: 599 })
  }
  keys(e.headers as JsonSchema, TOKEN_PATTERN)
  keys(e.json as JsonSchema, JSONPATH_PATTERN)
  // As compile.ts reads it: a map using any operator key is a matcher, so every key must be an operator.
  ;(e.json as JsonSchema).additionalProperties = {
    if: {
      type: 'object',
      anyOf: MATCHER_KEYS.map((k) => ({ properties: { [k]: true }, required: [k] }))
    },
    then: (({ $schema: _, ...m }) => m)(
      z.toJSONSchema(matcher, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as JsonSchema
    )
  }
  strings(e['max-latency'] as JsonSchema, { pattern: DURATION_PATTERN })
  const capture = c.capture as JsonSchema
  keys(capture, VAR_PATTERN)
  for (const b of branches(capture.additionalProperties as JsonSchema)) {
    if (b.type === 'string') b.pattern = JSONPATH_PATTERN
    else {
      const p = props(b)
      if (p.jsonpath) p.jsonpath.pattern = JSONPATH_PATTERN
      if (p.header) p.header.pattern = TOKEN_PATTERN
    }
  }
  return splitUnionTypes(root) as JsonSchema
}

/** `type: [a, b]` as anyOf of one type each: ajv's strict mode (strictTypes) refuses union types. */
function splitUnionTypes(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(splitUnionTypes)
  if (node === null || typeof node !== 'object') return node
  const out: JsonSchema = {}
  for (const [k, v] of Object.entries(node)) out[k] = splitUnionTypes(v)
  if (Array.isArray(out.type)) {
    const { type, ...rest } = out
    return { ...rest, anyOf: (type as string[]).map((t) => ({ type: t })) }
  }
  return out
}
