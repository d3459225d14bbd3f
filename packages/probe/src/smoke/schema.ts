/**
 * The smoke spec's shape, as one zod schema: it validates specs at run time
 * and is also the source of actions/smoke-test/spec.schema.json (editors
 * complete and check specs with it), so the two cannot drift apart.
 *
 * The schema checks structure only; the meaning of strings (durations, status
 * sets, regexes, JSONPath, ${VAR} references) is checked in validate.ts, where
 * the error can point at the exact line.
 */
import { z } from 'zod'

const scalar = z.union([z.string(), z.number(), z.boolean()])

const duration = z
  .union([z.string(), z.number().nonnegative()])
  .meta({ description: 'A duration such as 250ms, 5s, 2m or 1m30s; a bare number is seconds.' })

const regexOrText = z.string()

const matcher = z
  .strictObject({
    equals: z.unknown().optional().meta({ description: 'Deep equality with this value.' }),
    exists: z
      .boolean()
      .optional()
      .meta({ description: 'true: the path matches something; false: it matches nothing.' }),
    matches: z
      .string()
      .optional()
      .meta({ description: 'A regular expression (/re/flags or a bare pattern) the value must match.' }),
    gt: z.number().optional().meta({ description: 'The value is a number greater than this.' }),
    lt: z.number().optional().meta({ description: 'The value is a number less than this.' }),
    length: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .meta({ description: 'Length of the array or string (for a path with wildcards: the number of matches).' })
  })
  .meta({
    description: 'Operators on the value at the path; every one given must hold.'
  })

export const MATCHER_KEYS = ['equals', 'exists', 'matches', 'gt', 'lt', 'length'] as const

const capture = z.union([
  z.string().meta({ description: 'A JSONPath into the JSON response body, e.g. $.token.' }),
  z.strictObject({ jsonpath: z.string().meta({ description: 'A JSONPath into the JSON response body.' }) }),
  z.strictObject({ header: z.string().meta({ description: 'A response header name (case-insensitive).' }) })
])

const request = z
  .strictObject({
    method: z.string().optional().meta({ description: 'HTTP method (default GET).' }),
    url: z.string().meta({ description: 'URL relative to the base-url input (or absolute). ${VAR} expands.' }),
    headers: z.record(z.string(), scalar).optional().meta({ description: 'Request headers; values expand ${VAR}.' }),
    query: z.record(z.string(), scalar).optional().meta({ description: 'Query parameters added to the URL.' }),
    json: z.unknown().optional().meta({ description: 'A JSON body (sets Content-Type: application/json).' }),
    body: z.string().optional().meta({ description: 'A raw text body.' })
  })
  .meta({ description: 'The request to send.' })

const status = z.union([z.number().int(), z.string(), z.array(z.union([z.number().int(), z.string()]))]).meta({
  description: 'Accepted status codes: 200, "2xx", "200-299", "200,204" or a list. Default: 2xx.'
})

const expect = z
  .strictObject({
    status: status.optional(),
    headers: z
      .record(z.string(), scalar)
      .optional()
      .meta({ description: 'Response headers: exact value, or /regex/flags.' }),
    'body-contains': z
      .union([z.string(), z.array(z.string())])
      .optional()
      .meta({ description: 'Text(s) the body must contain.' }),
    'body-matches': z
      .union([regexOrText, z.array(regexOrText)])
      .optional()
      .meta({ description: 'Regular expression(s) the body must match (/re/flags or a bare pattern).' }),
    json: z.record(z.string(), z.unknown()).optional().meta({
      description: 'JSONPath → expected value, or an object of operators {equals, exists, matches, gt, lt, length}.'
    }),
    'max-latency': duration.optional().meta({ description: 'Upper bound on the response time.' })
  })
  .meta({ description: 'What the response must look like.' })

export const checkSchema = z
  .strictObject({
    name: z.string().min(1).meta({ description: 'Unique name of the check (used by needs and in reports).' }),
    request,
    expect: expect.optional(),
    capture: z
      .record(z.string(), capture)
      .optional()
      .meta({ description: 'Variables to capture from the response for checks that need this one.' }),
    needs: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .meta({ description: 'Checks that must pass first (their captures become variables here).' }),
    retries: z.number().int().min(0).max(20).optional().meta({ description: 'Retries of this check when it fails.' }),
    timeout: duration.optional().meta({ description: 'Timeout of each request of this check.' })
  })
  .meta({ description: 'One HTTP check.' })

export const specSchema = z
  .strictObject({
    vars: z
      .record(z.string(), scalar)
      .optional()
      .meta({ description: 'Default variables; the vars input and captures take precedence.' }),
    checks: z.array(checkSchema).min(1).meta({ description: 'The checks to run.' })
  })
  .meta({
    title: 'Gantry smoke-test spec',
    description: 'Declarative HTTP smoke checks run by the Gantry smoke-test action.'
  })

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
