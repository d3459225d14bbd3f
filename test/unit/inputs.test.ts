import { describe, expect, test } from '@jest/globals'
import { InputError, fields, optional, parseInputs, required } from '@gantry/core'
import { loadActionYml } from '../harness/runner.mjs'
import { inputs as rollbackInputs } from '../../actions/auto-rollback/src/inputs.js'
import { inputs as healthInputs } from '../../actions/health-gate/src/inputs.js'
import { inputs as notifyInputs } from '../../actions/notify/src/inputs.js'
import { inputs as smokeInputs } from '../../actions/smoke-test/src/inputs.js'

// Uses the smoke-test input list because it is short; the schema here is the test's own.
const shape = {
  spec: required(fields.path()),
  'base-url': optional(fields.url()),
  vars: fields.keyValues(),
  concurrency: fields.int(1, 256),
  retries: fields.int(0, 10),
  timeout: fields.duration(),
  junit: optional(fields.path()),
  'fail-fast': fields.boolean()
}
const good: Record<string, string> = {
  spec: 'smoke.yml',
  'base-url': 'http://127.0.0.1:8080',
  vars: 'A=1',
  concurrency: '8',
  retries: '0',
  timeout: '10s',
  junit: '',
  'fail-fast': 'false'
}
const parse = (over: Record<string, string>) =>
  parseInputs('smoke-test', shape, { read: (n) => (over[n] ?? good[n] ?? '').trim() })

describe('parseInputs', () => {
  test('parses every input to its type', () => {
    const i = parse({})
    expect(i.timeout).toBe(10_000)
    expect(i['base-url']?.port).toBe('8080')
    expect(i.junit).toBeUndefined()
    expect(i['fail-fast']).toBe(false)
    expect(i.vars).toEqual({ A: '1' })
  })
  test('one line naming input, value and expected form', () => {
    expect(() => parse({ timeout: 'banana' })).toThrow(
      new InputError(
        "Input 'timeout' has invalid value 'banana': expected a duration such as 250ms, 5s, 2m, 1h, 1d or 1m30s (a bare number is seconds)"
      )
    )
  })
  test('a duration that becomes a timer is bounded by 2^31-1 ms, and says so', () => {
    const timer = fields.duration(1, { timer: true })
    expect(timer.parse('24d')).toBe(24 * 86_400_000)
    expect(timer.parse('2147483647ms')).toBe(2 ** 31 - 1)
    for (const bad of ['2147483648ms', '25d', '9999999h']) {
      const r = timer.safeParse(bad)
      expect(r.success).toBe(false)
      expect(r.error?.issues[0]?.message).toBe(
        'expected a duration such as 250ms, 5s, 2m, 1h, 1d or 1m30s (a bare number is seconds), greater than 0 and at most 2147483647ms (about 24d 20h, the longest timer Node.js can hold)'
      )
    }
    // Not a timer: no bound (e.g. a window of history).
    expect(fields.duration().parse('400d')).toBe(400 * 86_400_000)
  })
  test('every duration input that becomes a timer is bounded', () => {
    // Each action's timers: a value past 2^31-1 ms is refused by the schema the action parses with.
    const timers: Record<string, Record<string, { safeParse(s: string): { success: boolean } }>> = {
      'health-gate': healthInputs,
      'auto-rollback': rollbackInputs,
      notify: notifyInputs,
      'smoke-test': smokeInputs
    }
    const names: Record<string, string[]> = {
      'health-gate': ['timeout', 'interval', 'max-wait'],
      'auto-rollback': ['watch', 'interval'],
      notify: ['timeout'],
      'smoke-test': ['timeout']
    }
    for (const [action, list] of Object.entries(names)) {
      for (const n of list) {
        expect([action, n, timers[action]?.[n]?.safeParse('25d').success]).toEqual([action, n, false])
        expect([action, n, timers[action]?.[n]?.safeParse('24d').success]).toEqual([action, n, true])
      }
    }
  })
  test('required inputs say what is expected', () => {
    expect(() => parse({ spec: '' })).toThrow("Input 'spec' is required: expected a file or directory path")
  })
  test('ranges on numbers', () => {
    expect(() => parse({ concurrency: '-1' })).toThrow(
      "Input 'concurrency' has invalid value '-1': expected a whole number from 1 to 256"
    )
    expect(() => parse({ concurrency: '2.5' })).toThrow(/whole number/)
  })
  test('non-URLs are rejected', () => {
    expect(() => parse({ 'base-url': 'ftp://x' })).toThrow(
      "Input 'base-url' has invalid value 'ftp://x': expected an http(s) URL such as https://example.com/healthz"
    )
    expect(() => parse({ 'base-url': 'not a url' })).toThrow(/Input 'base-url'/)
  })
  test('urlText keeps a URL as written, and rejects what url rejects with the same words', () => {
    const written = 'HTTPS://Hooks.Example.com/a/../b?x=1'
    expect(fields.urlText().parse(written)).toBe(written)
    expect(fields.url().parse(written).href).toBe('https://hooks.example.com/b?x=1')
    for (const bad of ['ftp://x', 'not a url']) {
      const r = fields.urlText().safeParse(bad)
      expect(r.success).toBe(false)
      expect(r.error?.issues[0]?.message).toBe('expected an http(s) URL such as https://example.com/healthz')
    }
  })
  test('secret values are never echoed', () => {
    const msg = (() => {
      try {
        parseInputs('smoke-test', shape, {
          secrets: ['vars'],
          read: (n) => (n === 'vars' ? 'hunter2-no-equals' : (good[n] ?? ''))
        })
      } catch (e) {
        return (e as Error).message
      }
      return ''
    })()
    expect(msg).toBe("Input 'vars' has invalid value ***: expected 'KEY=VALUE' lines")
  })
  test('multi-line values are shown on one line', () => {
    expect(() => parse({ vars: 'A=1\nnope' })).toThrow(
      "Input 'vars' has invalid value 'A=1\\nnope': expected 'KEY=VALUE' lines"
    )
  })
})

describe('URL inputs and line breaks', () => {
  const two = 'http://127.0.0.1:8080/healthz\nhttp://127.0.0.1:8080/ready'
  // new URL() drops line breaks, so without a check these two would silently become one URL.
  test('a single-URL input given two lines is an input error naming it, not one joined URL', () => {
    const why = 'expected an http(s) URL such as https://example.com/healthz (one URL expected, got 2 lines)'
    expect(() => parse({ 'base-url': two })).toThrow(
      new InputError(`Input 'base-url' has invalid value '${two.replace('\n', '\\n')}': ${why}`)
    )
    for (const field of [fields.url(), fields.urlText()]) {
      const r = field.safeParse(two)
      expect(r.success).toBe(false)
      expect(r.error?.issues[0]?.message).toBe(why)
    }
  })
  test("auto-rollback's health-url takes one URL per line, as health-gate's url", () => {
    const defaults = Object.fromEntries(
      Object.entries(loadActionYml('auto-rollback').inputs as Record<string, { default?: string }>).map(([k, d]) => [
        k,
        d.default ?? ''
      ])
    )
    const read = (over: Record<string, string>) => (n: string) => (over[n] ?? defaults[n] ?? '').trim()
    const urls = (value: string) =>
      parseInputs('auto-rollback', rollbackInputs, { read: read({ path: '/srv/app', 'health-url': value }) })[
        'health-url'
      ]?.map((u) => u.href)
    expect(urls(two)).toEqual(['http://127.0.0.1:8080/healthz', 'http://127.0.0.1:8080/ready'])
    expect(urls('http://127.0.0.1:8080/healthz')).toEqual(['http://127.0.0.1:8080/healthz'])
    expect(urls('')).toBeUndefined()
    expect(() => urls('http://127.0.0.1:8080/healthz\nftp://x')).toThrow(
      "Input 'health-url' has invalid value 'http://127.0.0.1:8080/healthz\\nftp://x': expected an http(s) URL such as https://example.com/healthz"
    )
  })
})
