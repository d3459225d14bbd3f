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
})
