// The email channel's pure parts: smtp-url and address parsing, the input
// combinations, rendering, threading headers and SMTP error classification.
import { describe, expect, it } from '@jest/globals'
import { InputError, parseInputs } from '@gantry/core'
import {
  buildMessage,
  checkChannels,
  contextFromEnv,
  emailHtml,
  emailText,
  idDomain,
  isAddress,
  makeChannels,
  parseSmtpUrl,
  smtpDeliveryError,
  threadHeaders
} from '@gantry/notify'
import { inputs, secretInputs } from '../../actions/notify/src/inputs.js'

const env = {
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_RUN_ID: '99',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_SHA: '0123456789abcdef'
}
const msg = (status: 'started' | 'success', extra: { releaseId?: string; environment?: string } = {}) =>
  buildMessage({ status, environment: 'production', ...extra }, contextFromEnv(env), new Date(0))

function parse(given: Record<string, string>) {
  const defaults: Record<string, string> = {
    status: 'success',
    timeout: '10s',
    'fail-on-error': 'false',
    'smtp-insecure': 'false'
  }
  const all = { ...defaults, ...given }
  const i = parseInputs('notify', inputs, { secrets: [...secretInputs], read: (n) => all[n] ?? '' })
  checkChannels(i)
  return i
}

describe('smtp-url', () => {
  it('smtp:// is STARTTLS on 587, smtps:// implicit TLS on 465, credentials decoded', () => {
    expect(parseSmtpUrl('smtp://u%40x:p%3Ass@mail.example.com')).toEqual({
      secure: false,
      host: 'mail.example.com',
      port: 587,
      user: 'u@x',
      password: 'p:ss'
    })
    expect(parseSmtpUrl('smtps://mail.example.com')).toEqual({ secure: true, host: 'mail.example.com', port: 465 })
    expect(parseSmtpUrl('smtp://h:2525')?.port).toBe(2525)
  })
  it('any other scheme, or a path or query, is refused with the value redacted', () => {
    for (const bad of ['http://u:secretpw@h', 'smtp://h/path', 'smtp://h?x=1', 'mail.example.com']) {
      expect(parseSmtpUrl(bad)).toBeUndefined()
      expect(() => parse({ 'smtp-url': bad, 'email-to': 'a@b.c' })).toThrow(
        /^Input 'smtp-url' has invalid value \*\*\*: expected smtp:\/\/host:587 \(STARTTLS\)/
      )
    }
  })
})

describe('input combinations', () => {
  it('email-to and email-from need smtp-url; smtp-url needs email-to', () => {
    expect(() => parse({ 'email-to': 'a@b.c' })).toThrow("Input 'email-to' needs 'smtp-url'")
    expect(() => parse({ 'email-from': 'a@b.c' })).toThrow("Input 'email-from' needs 'smtp-url'")
    expect(() => parse({ 'smtp-insecure': 'true' })).toThrow("Input 'smtp-insecure' needs 'smtp-url'")
    expect(() => parse({ 'smtp-url': 'smtp://u@x.org:p@h' })).toThrow(InputError)
    expect(() => parse({ 'smtp-url': 'smtp://u@x.org:p@h' })).toThrow("Input 'email-to' is required with smtp-url")
  })
  it('email-from defaults to the SMTP user when that is an address, else is required', () => {
    expect(() => parse({ 'smtp-url': 'smtp://apikey:p@h', 'email-to': 'a@b.c' })).toThrow(
      "Input 'email-from' is required with smtp-url"
    )
    const i = parse({ 'smtp-url': 'smtp://bot%40x.org:p@h', 'email-to': 'a@b.c' })
    expect(makeChannels(i, { warning: () => undefined }).map((c) => c.name)).toEqual(['email'])
  })
  it('email-to takes lines and commas, and names a bad address', () => {
    const i = parse({ 'smtp-url': 'smtp://h', 'email-from': 'G <g@x.org>', 'email-to': 'a@b.c,\nOps <o@x.org>' })
    expect(i['email-to']).toEqual(['a@b.c', 'Ops <o@x.org>'])
    expect(() => parse({ 'smtp-url': 'smtp://h', 'email-from': 'g@x.org', 'email-to': 'a@b.c, nobody' })).toThrow(
      "Input 'email-to' has invalid value 'a@b.c, nobody': expected email addresses such as ops@example.com, one per line or comma-separated ('nobody' is not one)"
    )
    expect(isAddress('a b@c.d')).toBe(false)
  })
})

describe('rendering', () => {
  it('text and HTML from the same message; HTML escapes everything', () => {
    const m = buildMessage(
      { status: 'success', environment: 'prod', message: '<script>alert("x")</script> & more' },
      contextFromEnv(env),
      new Date(0)
    )
    const text = emailText(m)
    expect(text).toContain('<script>alert("x")</script> & more')
    expect(text).toContain('Environment: prod')
    expect(text).toContain('View run: https://github.com/acme/shop/actions/runs/99')
    const html = emailHtml(m)
    expect(html).not.toContain('<script>')
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more')
    expect(html).toContain('<a href="https://github.com/acme/shop/actions/runs/99">View run</a>')
  })
})

describe('threading', () => {
  it('a result replies to the started message of the same run and environment', () => {
    const started = threadHeaders(msg('started'), 'example.com')
    expect(started.inReplyTo).toBeUndefined()
    expect(started.messageId).toMatch(/^<gantry\.[0-9a-f]{32}\.started@example\.com>$/)
    const done = threadHeaders(msg('success', { releaseId: 'r1' }), 'example.com')
    expect(done.inReplyTo).toBe(started.messageId)
    expect(done.references).toBe(started.messageId)
    expect(done.messageId).not.toBe(threadHeaders(msg('success', { releaseId: 'r2' }), 'example.com').messageId)
    // Deterministic; another environment is another thread.
    expect(threadHeaders(msg('started'), 'example.com')).toEqual(started)
    expect(threadHeaders(msg('started', { environment: 'staging' }), 'example.com').messageId).not.toBe(
      started.messageId
    )
  })
  it('the id domain is the sender domain, or gantry.invalid', () => {
    expect(idDomain('Gantry <deploy@Example.COM>')).toBe('example.com')
    expect(idDomain('nobody')).toBe('gantry.invalid')
  })
})

describe('SMTP errors', () => {
  const err = (o: Record<string, unknown>) => Object.assign(new Error(String(o.message ?? 'x')), o)
  it('4xx and connection failures retry; 5xx, auth and TLS problems do not', () => {
    for (const code of [421, 450, 451, 452]) {
      expect(smtpDeliveryError(err({ responseCode: code, code: 'EMESSAGE' })).retryable).toBe(true)
    }
    for (const code of [550, 535, 554]) {
      expect(smtpDeliveryError(err({ responseCode: code, code: 'EAUTH' })).retryable).toBe(false)
    }
    for (const code of ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET']) {
      expect(smtpDeliveryError(err({ code })).retryable).toBe(true)
    }
    const tls = smtpDeliveryError(err({ code: 'ETLS', command: 'STARTTLS', responseCode: 454, message: 'no TLS' }))
    expect(tls.retryable).toBe(false)
    expect(tls.message).toMatch(/refused STARTTLS .*smtp-insecure: true/)
    const cert = smtpDeliveryError(err({ code: 'ESOCKET', message: 'self-signed certificate' }))
    expect(cert.retryable).toBe(false)
    expect(cert.message).toMatch(/NODE_EXTRA_CA_CERTS/)
    expect(smtpDeliveryError(err({ responseCode: 550, message: 'Mailbox\r\nunavailable' })).message).toBe(
      'SMTP 550: Mailbox unavailable'
    )
  })
})
