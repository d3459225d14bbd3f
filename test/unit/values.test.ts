import { describe, expect, test } from '@jest/globals'
import {
  StatusSet,
  formatDuration,
  parseDuration,
  parseHeaders,
  parseKeyValues,
  parseList,
  parseRate,
  parseBoolean
} from '@gantry/core'

describe('durations', () => {
  test.each([
    ['250ms', 250],
    ['5s', 5000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['30d', 30 * 86_400_000],
    ['1d12h', 36 * 3_600_000],
    ['1.5s', 1500],
    ['3', 3000],
    ['0', 0]
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms))

  test.each(['banana', '', '5 s', '-1s', '5w', 's', '1m30'])('rejects %p', (text) =>
    expect(() => parseDuration(text)).toThrow(/expected a duration/)
  )
})

describe('rates', () => {
  test.each([
    ['1%', 0.01],
    ['0.01', 0.01],
    ['0%', 0],
    ['100%', 1],
    ['0.5', 0.5]
  ])('%s = %d', (text, v) => expect(parseRate(text)).toBeCloseTo(v))
  test.each(['2', '101%', 'x', '-1%', ''])('rejects %p', (t) => expect(() => parseRate(t)).toThrow(/expected a rate/))
})

describe('status sets', () => {
  test('single, range, class, list', () => {
    const s = StatusSet.parse('200, 301-302,4xx')
    expect([200, 301, 302, 404, 499].every((c) => s.has(c))).toBe(true)
    expect([201, 300, 303, 500, 199].some((c) => s.has(c))).toBe(false)
  })
  test.each(['7xx', '600', '99', '300-200', 'ok', '', '2xx,'])('rejects %p', (t) =>
    expect(() => StatusSet.parse(t)).toThrow(/expected HTTP status codes/)
  )
})

describe('lists, headers, key-values, booleans', () => {
  test('lists drop blanks and trim', () => expect(parseList(' a \n\n b\r\n')).toEqual(['a', 'b']))
  test('headers split at the first colon', () =>
    expect(parseHeaders('Authorization: Bearer a:b\nX-Trace:1')).toEqual([
      ['Authorization', 'Bearer a:b'],
      ['X-Trace', '1']
    ]))
  test('bad header names are rejected', () => expect(() => parseHeaders('Bad Name: x')).toThrow(/Name: value/))
  test('key values keep = in values', () => expect(parseKeyValues('A=1\nB=x=y')).toEqual({ A: '1', B: 'x=y' }))
  test('key values need a key', () => expect(() => parseKeyValues('=1')).toThrow(/KEY=VALUE/))
  test('booleans as YAML spells them', () => {
    expect(parseBoolean('True')).toBe(true)
    expect(parseBoolean('FALSE')).toBe(false)
    expect(() => parseBoolean('yes')).toThrow(/true or false/)
  })
})

describe('formatDuration: the form parseDuration reads back', () => {
  test.each([
    [0, '0ms'],
    [250, '250ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [30 * 86_400_000, '30d'],
    [2 ** 31 - 1, '24d20h31m23.647s']
  ])('%d ms = %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
    expect(parseDuration(text)).toBe(ms)
  })
})
