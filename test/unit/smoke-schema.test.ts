// The committed JSON Schema for smoke specs is generated from the zod schema
// the action validates with; this fails when the two have drifted apart.
// Regenerate with `node scripts/gen-smoke-schema.mjs`.
import { describe, expect, test } from '@jest/globals'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import { parse } from 'yaml'
import { smoke } from '@gantry/probe'
import { repoRoot } from '../harness/runner.mjs'

const file = join(repoRoot, 'actions', 'smoke-test', 'spec.schema.json')
const generated = smoke.specJsonSchema()

if (process.env.GANTRY_WRITE_SMOKE_SCHEMA === '1') writeFileSync(file, JSON.stringify(generated, null, 2) + '\n')

describe('spec.schema.json', () => {
  test('equals the schema generated from the zod spec schema (regenerate: node scripts/gen-smoke-schema.mjs)', () => {
    const committed = JSON.parse(readFileSync(file, 'utf8')) as unknown
    expect(committed).toEqual(generated)
  })

  test('is a draft-07 schema that rejects unknown keys and requires checks', () => {
    expect(generated.$schema).toBe('http://json-schema.org/draft-07/schema#')
    expect(generated.additionalProperties).toBe(false)
    expect(generated.required).toEqual(['checks'])
    const check = (generated.properties as { checks: { items: Record<string, unknown> } }).checks.items
    expect(check.additionalProperties).toBe(false)
    expect(Object.keys(check.properties as object)).toEqual([
      'name',
      'request',
      'expect',
      'capture',
      'needs',
      'retries',
      'timeout'
    ])
  })

  test('editors accept the sample spec and flag what the action rejects (checked with ajv)', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(generated)
    const example = parse(readFileSync(join(repoRoot, 'examples', 'smoke', 'smoke.yml'), 'utf8')) as unknown
    expect(validate(example)).toBe(true)
    const bad = (text: string) => {
      expect(validate(parse(text))).toBe(false)
      return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)
    }
    expect(bad('checks:\n  - { name: a, request: { url: /x }, expect: { stauts: 200 } }\n')).toContain(
      '/checks/0/expect must NOT have additional properties'
    )
    expect(bad('checks:\n  - { name: a, request: { url: /x }, retries: many }\n')).toContain(
      '/checks/0/retries must be integer'
    )
    expect(bad('checks: []\n')).toContain('/checks must NOT have fewer than 1 items')
    expect(bad('checks:\n  - { name: a }\n')).toContain("/checks/0 must have required property 'request'")
  })

  test.each(['examples/smoke/smoke.yml', 'examples/app/smoke.yml'])('%s passes the JSON Schema too', (path) => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(generated)
    expect(validate(parse(readFileSync(join(repoRoot, path), 'utf8')))).toBe(true)
    expect(validate.errors ?? null).toBeNull()
  })

  test('the sample spec in examples/smoke loads', () => {
    const text = readFileSync(join(repoRoot, 'examples', 'smoke', 'smoke.yml'), 'utf8')
    expect(() => parse(text)).not.toThrow()
    const spec = smoke.loadSpec(text, {
      file: 'examples/smoke/smoke.yml',
      baseUrl: 'http://127.0.0.1:8080',
      env: { SMOKE_PASSWORD: 'x' }
    })
    expect(spec.checks.length).toBeGreaterThan(3)
  })

  test('compiles under ajv strict mode', () => {
    expect(() => new Ajv({ strict: true, allErrors: true }).compile(generated)).not.toThrow()
  })
})

describe('the JSON Schema is as strict as the loader', () => {
  const validate = new Ajv({ strict: true, allErrors: true }).compile(generated)
  const check = (extra: string, request = '{ url: /x }') => `checks:\n  - name: a\n    request: ${request}\n${extra}`
  // Every kind of problem the loader reports for one spec: the schema must flag each one too.
  const cases: Array<[string, string]> = [
    ['status: banana', check('    expect: { status: banana }\n')],
    ['status 700', check('    expect: { status: 700 }\n')],
    ['status "2yy" in a list', check('    expect: { status: [200, "2yy"] }\n')],
    ['max-latency: fast', check('    expect: { max-latency: fast }\n')],
    ['timeout: soon', check('    timeout: soon\n')],
    ['timeout: 0', check('    timeout: 0\n')],
    ['timeout past 2^31-1 ms', check('    timeout: 2147484\n')],
    ['a bad method', check('', '{ url: /x, method: "GET /" }')],
    ['method CONNECT', check('', '{ url: /x, method: CONNECT }')],
    ['a file: URL', check('', '{ url: "file:///etc/passwd" }')],
    ['a bad request header name', check('', '{ url: /x, headers: { "Bad Name": x } }')],
    ['a non-Latin-1 header value', check('', '{ url: /x, headers: { X-A: "snow ☃" } }')],
    ['json and body', check('', '{ url: /x, json: {}, body: x }')],
    ['a bad expected header name', check('    expect: { headers: { "Bad Name": x } }\n')],
    ['a JSONPath key without $', check('    expect: { json: { "a.b": 1 } }\n')],
    ['a bad capture name', check('    capture: { "bad name": $.a }\n')],
    ['a capture path without $', check('    capture: { X: a.b }\n')],
    ['a capture jsonpath without $', check('    capture: { X: { jsonpath: a } }\n')],
    ['a bad capture header', check('    capture: { X: { header: "Bad Name" } }\n')],
    ['a bad variable name', 'vars: { "bad name": 1 }\n' + check('')],
    ['an unknown key', check('    expect: { stauts: 200 }\n')],
    ['a wrong type', check('    retries: twice\n')],
    ['an unknown matcher operator', check('    expect: { json: { $.a: { exist: true, length: 1 } } }\n')],
    ['a matcher operand of the wrong type', check("    expect: { json: { $.a: { gt: 'ten' } } }\n")]
  ]
  test.each(cases)('%s: the loader and the schema both reject it', (_what, text) => {
    expect(() => smoke.loadSpec(text, { file: 'smoke.yml', baseUrl: 'http://127.0.0.1' })).toThrow(smoke.SpecError)
    expect(validate(parse(text))).toBe(false)
  })

  // What a JSON Schema cannot express (across fields, checks or inputs); the loader alone reports these.
  test.each([
    ['a duplicate name', check('  - { name: a, request: { url: /y } }\n')],
    ['an unknown need', check('    needs: nope\n')],
    ['an undefined ${VAR}', check('', '{ url: "/${NOPE}" }')],
    ['an invalid regex', check("    expect: { body-matches: '(oops' }\n")],
    ['an invalid JSONPath after $', check('    expect: { json: { "$[": 1 } }\n')]
  ])('%s: only the loader (a cross-field or semantic check)', (_what, text) => {
    expect(() => smoke.loadSpec(text, { file: 'smoke.yml', baseUrl: 'http://127.0.0.1' })).toThrow(smoke.SpecError)
    expect(validate(parse(text))).toBe(true)
  })

  test.each([
    ['durations with d and bare seconds', check('    timeout: 1d\n    expect: { max-latency: 1.5 }\n')],
    ['statuses in every form', check('    expect: { status: [200, "2xx", "301-302", "200, 204"] }\n')],
    [
      'an absolute https URL and a ${VAR} URL',
      check('', '{ url: "https://h/x?q=${A}" }').replace('checks', 'vars: { A: 1 }\nchecks')
    ]
  ])('%s: both accept', (_what, text) => {
    expect(() => smoke.loadSpec(text, { file: 'smoke.yml', baseUrl: 'http://127.0.0.1' })).not.toThrow()
    expect(validate(parse(text))).toBe(true)
  })
})
