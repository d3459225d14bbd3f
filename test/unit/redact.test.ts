// @gantry/core's redaction module: every registered secret in every form a
// writer gives it, reports redacted before JSON encoding, URLs shown without
// credentials, bad input quoted with its credentials redacted.
import { afterEach, describe, expect, test } from '@jest/globals'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  clearSecrets,
  fields,
  maskCredentialHeader,
  maskSecret,
  maskUrl,
  optional,
  parseInputs,
  redact,
  redactDeep,
  safeUrl,
  scrubUrls,
  stripUserinfo,
  table,
  writeReport
} from '@gantry/core'

afterEach(() => clearSecrets())

const SECRET = 'pa"ss\\w rd/@|&<x'
const b64 = (s: string) => Buffer.from(s).toString('base64')

describe('redact', () => {
  test('a secret with " and \\ is redacted from a JSON report (it was left in, JSON-escaped)', async () => {
    process.env.RUNNER_TEMP = mkdtempSync(join(tmpdir(), 'gantry-redact-'))
    maskSecret(SECRET)
    const path = await writeReport('notify', new Date(), true, {
      plain: `x ${SECRET} y`,
      nested: { list: [SECRET], [SECRET]: 1 },
      json: JSON.stringify({ echoed: SECRET })
    })
    const text = readFileSync(path, 'utf8')
    expect(text).not.toContain(JSON.stringify(SECRET).slice(1, -1))
    expect(text).not.toContain('pa\\"ss')
    const data = JSON.parse(text)
    expect(data).toMatchObject({ plain: 'x *** y', nested: { list: ['***'], '***': 1 }, json: '{"echoed":"***"}' })
  })

  test('percent-encoded, base64, JSON-, Markdown- and XML-escaped forms', () => {
    maskSecret(SECRET)
    const u = new URL('http://h/')
    u.search = `t=${SECRET}`
    for (const form of [
      encodeURIComponent(SECRET),
      new URLSearchParams({ t: SECRET }).toString().slice(2),
      u.search.slice(3),
      b64(SECRET),
      JSON.stringify(SECRET).slice(1, -1),
      JSON.stringify(JSON.stringify(SECRET)).slice(3, -3),
      table(['a'], [[SECRET]])
        .split('\n')[2]
        ?.slice(2, -2) ?? '',
      SECRET.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;')
    ]) {
      expect([form, redact(`<${form}>`)]).toEqual([form, '<***>'])
    }
  })

  test('a URL password: as written, decoded, and as the Basic credential of user:password', () => {
    maskUrl(new URL(`https://deploy:${encodeURIComponent(SECRET)}@example.com/x`))
    expect(redact(`Authorization: Basic ${b64(`deploy:${SECRET}`)}`)).toBe('Authorization: Basic ***')
    expect(redact(`pw ${SECRET}`)).toBe('pw ***')
    expect(redact(`https://deploy:${encodeURIComponent(SECRET)}@example.com/x`)).toBe(
      'https://deploy:***@example.com/x'
    )
  })

  test('credential-named query values are registered; other values are not', () => {
    maskUrl('https://example.com/health?api_key=k3y-value-1&token=t0ken-value&page=12345')
    expect(redact('k3y-value-1 t0ken-value 12345')).toBe('*** *** 12345')
  })

  test('a Basic header: the credential, the decoded user:password and the password', () => {
    maskCredentialHeader(`Basic ${b64('ops:hunter22')}`)
    expect(redact(`${b64('ops:hunter22')} ops:hunter22 hunter22`)).toBe('*** *** ***')
  })

  test('values shorter than 4 characters are not masked', () => {
    maskSecret('abc')
    expect(redact('abc')).toBe('abc')
  })

  test('redactDeep keeps types and uses toJSON (URL, Date)', () => {
    maskSecret('s3cret-value')
    expect(redactDeep({ n: 1, b: true, z: null, u: new URL('http://h/s3cret-value'), a: ['s3cret-value'] })).toEqual({
      n: 1,
      b: true,
      z: null,
      u: 'http://h/***',
      a: ['***']
    })
  })
})

describe('URLs as shown', () => {
  test('safeUrl drops userinfo and replaces credential query values', () => {
    expect(safeUrl(new URL('https://u:p%40ss@h.example/a?api_key=xyz&token=abc&page=2#f'))).toBe(
      'https://h.example/a?api_key=***&token=***&page=2#f'
    )
    expect(safeUrl(new URL('https://h.example/a'))).toBe('https://h.example/a')
  })

  test('stripUserinfo keeps the URL as written unless it has userinfo', () => {
    expect(stripUserinfo('https://h.example/a?token=x')).toBe('https://h.example/a?token=x')
    expect(stripUserinfo('https://u:p@h.example/a')).toBe('https://h.example/a')
  })

  test('scrubUrls: unregistered credentials in free text, JSON and Markdown left intact', () => {
    expect(scrubUrls('GET https://u:pw@h.example/x?sig=abc&n=1 failed')).toBe(
      'GET https://u:***@h.example/x?sig=***&n=1 failed'
    )
    expect(scrubUrls('{"u":"http://a:b@h/?token=t","v":"c@d"}')).toBe('{"u":"http://a:***@h/?token=***","v":"c@d"}')
    expect(scrubUrls('| http://h/?password=p | next |')).toBe('| http://h/?password=*** | next |')
  })
})

describe('bad input', () => {
  test("a URL input's invalid value is quoted with its credentials redacted", () => {
    const shape = { 'base-url': fields.url() } as never
    const read = (name: string) =>
      name === 'base-url' ? `http://user:${encodeURIComponent(SECRET)}@127.0.0.1:99999/?token=abc` : ''
    expect(() => parseInputs('smoke-test', { ...fieldsFor(), ...(shape as object) } as never, { read })).toThrow(
      "Input 'base-url' has invalid value 'http://user:***@127.0.0.1:99999/?token=***': expected an http(s) URL"
    )
  })
})

/** Every smoke-test input accepts '' except base-url (the one under test). */
function fieldsFor(): Record<string, unknown> {
  const names = ['spec', 'vars', 'concurrency', 'retries', 'timeout', 'junit', 'fail-fast']
  return Object.fromEntries(names.map((n) => [n, optional(fields.string())]))
}
