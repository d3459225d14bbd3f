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
  'A duration such as 250ms, 5s, 2m or 1m30s; a bare number is seconds.'
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
  return z.toJSONSchema(specSchema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >
}
