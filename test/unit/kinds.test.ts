// The registry every kind (target, channel, backend, router, source) is registered in.
import { describe, expect, test } from '@jest/globals'
import { InputError, fields, optional, refuseOtherKinds, registry, type Kind } from '@gantry/core'

type Demo<S extends Record<string, ReturnType<typeof optional<string>>>> = Kind<
  S,
  { path: string },
  { log: string[] },
  string
>
const a: Demo<{ 'a-url': ReturnType<typeof optional<string>> }> = {
  name: 'a',
  inputs: { 'a-url': optional(fields.string()) },
  secrets: ['a-url'],
  make: (v, ctx) => {
    ctx.log.push('made a')
    return `a:${v.path}:${v['a-url'] ?? ''}`
  }
}
const b: Demo<{ 'b-key': ReturnType<typeof optional<string>>; 'b-host': ReturnType<typeof optional<string>> }> = {
  name: 'b',
  inputs: { 'b-key': optional(fields.string()), 'b-host': optional(fields.string()) },
  secrets: ['b-key'],
  check: (v) => {
    if (!v['b-host']) throw new InputError("Input 'b-host' is required with b")
  },
  make: (v) => `b:${v['b-host']}`
}

describe('registry', () => {
  const reg = registry('demo', [a, b] as const)

  test('merges inputs and secrets, in registration order', () => {
    expect(Object.keys(reg.inputs)).toEqual(['a-url', 'b-key', 'b-host'])
    expect(reg.secrets).toEqual(['a-url', 'b-key'])
    expect(reg.names).toEqual(['a', 'b'])
    expect(reg.owner('b-host')?.name).toBe('b')
    expect(reg.owner('path')).toBeUndefined()
  })

  test('get makes the named kind, and names the registered ones when unknown', () => {
    const log: string[] = []
    expect(
      reg.get('a').make({ path: '/p', 'a-url': 'x', 'b-key': undefined, 'b-host': undefined } as never, { log })
    ).toBe('a:/p:x')
    expect(log).toEqual(['made a'])
    expect(() => reg.get('c')).toThrow("no demo 'c' (registered: a, b)")
  })

  test('two kinds declaring one input is a programming error at load', () => {
    expect(() =>
      registry('demo', [a, { ...b, name: 'b2', inputs: { 'a-url': optional(fields.string()) } }] as const)
    ).toThrow("demo kinds 'a' and 'b2' both declare input 'a-url'")
  })

  test('refuseOtherKinds names the input given for a kind that is not selected', () => {
    const given = new Set(['b-host'])
    expect(() =>
      refuseOtherKinds(
        reg,
        'kind',
        'a',
        (k) => given.has(k),
        (k) => `'${k}-value'`
      )
    ).toThrow(
      "Input 'b-host' has invalid value 'b-host-value': it is for kind 'b', but kind is 'a'; expected kind: b, or no b-host"
    )
    expect(() => refuseOtherKinds(reg, 'kind', 'b', (k) => given.has(k), String)).not.toThrow()
  })
})
