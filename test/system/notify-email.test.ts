// notify's email channel through the bundle (dist/notify/index.js), run as the
// runner runs it, against a real SMTP server on 127.0.0.1 (aiosmtpd): STARTTLS
// with a certificate the test makes, AUTH, implicit TLS, a server without TLS,
// and scripted 421/550 replies. Messages are parsed with mailparser.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { simpleParser, type AddressObject } from 'mailparser'
import { runAction } from '../harness/runner.mjs'
import type { RunResult } from '../harness/runner.d.mts'
import { makeCert, requireSmtp, startSmtp, type SmtpOptions, type SmtpServer } from '../helpers/smtp.js'

const USER = 'deploy-bot@example.com'
const PASSWORD = 'smtpS3cretPassw0rd!'
const FROM = 'Gantry <deploy@example.com>'
const TO = 'ops@example.com, dev@example.com'

let cert: { cert: string; key: string }
beforeAll(() => {
  requireSmtp()
  cert = makeCert()
})

const open: SmtpServer[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.stop()))
})
afterAll(async () => {
  await Promise.all(open.splice(0).map((s) => s.stop()))
})

async function server(o: Partial<SmtpOptions> = {}): Promise<SmtpServer> {
  const s = await startSmtp({ mode: 'starttls', cert, user: USER, password: PASSWORD, ...o })
  open.push(s)
  return s
}

function url(s: SmtpServer, scheme = 'smtp', credentials = true): string {
  const auth = credentials ? `${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}@` : ''
  return `${scheme}://${auth}localhost:${s.port}`
}

async function notify(inputs: Record<string, string>, trust = true): Promise<RunResult> {
  return runAction('notify', {
    inputs: { environment: 'production', 'email-from': FROM, 'email-to': TO, timeout: '5s', ...inputs },
    env: trust ? { NODE_EXTRA_CA_CERTS: cert.cert } : {},
    timeoutMs: 60_000
  })
}

function sent(r: RunResult): Record<string, string> {
  return JSON.parse(r.outputs.sent ?? '{}') as Record<string, string>
}

function report(r: RunResult): { channels: Array<{ channel: string; ok: boolean; attempts: number; detail: string }> } {
  return JSON.parse(readFileSync(r.outputs.report!, 'utf8')) as ReturnType<typeof report>
}

const SECRETS = [
  PASSWORD,
  encodeURIComponent(PASSWORD),
  `${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}`,
  Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64'),
  Buffer.from(PASSWORD).toString('base64'),
  Buffer.from(`${USER}:${PASSWORD}`).toString('base64')
]

/** No secret in the log (bar the runner's own ::add-mask:: lines), summary, report or outputs. */
function expectNoSecrets(r: RunResult, smtpUrl: string): void {
  const stdout = r.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n')
  const places = {
    stdout,
    stderr: r.stderr,
    summary: r.summary,
    report: r.outputs.report ? readFileSync(r.outputs.report, 'utf8') : '',
    outputs: JSON.stringify(r.outputs)
  }
  for (const secret of [...SECRETS, smtpUrl]) {
    for (const [where, text] of Object.entries(places)) {
      expect({ secret, where, found: text.includes(secret) }).toEqual({ secret, where, found: false })
    }
  }
}

function addresses(a: AddressObject | AddressObject[] | undefined): string[] {
  return (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value.map((v) => v.address ?? ''))
}

describe('notify email against a real SMTP server', () => {
  it('STARTTLS + AUTH: started then success, one thread, text and HTML parts, no secret leaks', async () => {
    const s = await server()
    const smtpUrl = url(s)
    const started = await notify({ status: 'started', 'smtp-url': smtpUrl })
    expect(started.stderr).toBe('')
    expect(started.code).toBe(0)
    expect(sent(started)).toEqual({ email: 'ok' })
    const done = await notify({ status: 'success', 'release-id': 'R<1>&2', 'smtp-url': smtpUrl })
    expect(done.code).toBe(0)
    expect(sent(done)).toEqual({ email: 'ok' })
    expect(report(done).channels[0]).toMatchObject({ channel: 'email', ok: true, attempts: 1 })
    expect(report(done).channels[0]?.detail).toMatch(/^250 .*\(2 recipient\(s\) accepted by localhost\)$/)
    for (const r of [started, done]) expectNoSecrets(r, smtpUrl)

    expect(s.events.filter((e) => e.event === 'auth')).toEqual([
      expect.objectContaining({ ok: true }),
      expect.objectContaining({ ok: true })
    ])
    expect(s.events.filter((e) => e.event === 'stored').every((e) => e.tls)).toBe(true)
    const [first, second] = await Promise.all(s.messages().map((m) => simpleParser(m)))
    expect(first!.subject).toBe('🚀 Deploying acme/shop to production')
    expect(addresses(first!.from)).toEqual(['deploy@example.com'])
    expect(addresses(first!.to)).toEqual(['ops@example.com', 'dev@example.com'])
    expect(first!.messageId).toMatch(/^<gantry\.[0-9a-f]{32}\.started@example\.com>$/)
    expect(first!.inReplyTo).toBeUndefined()

    expect(second!.subject).toBe('✅ Deployed acme/shop to production')
    expect(second!.messageId).toMatch(/^<gantry\.[0-9a-f]{32}\.success\.[0-9a-f]{12}@example\.com>$/)
    expect(second!.inReplyTo).toBe(first!.messageId)
    expect(second!.references).toBe(first!.messageId)
    expect(second!.text).toContain('Release R<1>&2 is live')
    expect(second!.text).toContain('Environment: production')
    expect(second!.html).toContain('Release R&lt;1&gt;&amp;2 is live')
    expect(second!.html).not.toContain('R<1>')
    expect(second!.html).toContain('href="https://github.com/acme/shop/actions/runs/4242"')
  })

  it('smtps:// (implicit TLS) delivers', async () => {
    const s = await server({ mode: 'smtps' })
    const r = await notify({ status: 'failure', 'smtp-url': url(s, 'smtps') })
    expect(r.code).toBe(0)
    expect(sent(r)).toEqual({ email: 'ok' })
    expect(s.messages()).toHaveLength(1)
    expectNoSecrets(r, url(s, 'smtps'))
  })

  it('a server without STARTTLS is refused on smtp:// unless smtp-insecure: true', async () => {
    const s = await server({ mode: 'plain' })
    const refused = await notify({ status: 'success', 'smtp-url': url(s, 'smtp', false) })
    expect(refused.code).toBe(0) // fail-on-error is false: a warning
    expect(sent(refused).email).toMatch(/the server refused STARTTLS .* smtp-insecure: true/)
    expect(report(refused).channels[0]?.attempts).toBe(1)
    expect(s.messages()).toHaveLength(0)

    const allowed = await notify({ status: 'success', 'smtp-url': url(s, 'smtp', false), 'smtp-insecure': 'true' })
    expect(sent(allowed)).toEqual({ email: 'ok' })
    expect(s.messages()).toHaveLength(1)
  })

  it('an untrusted certificate fails clearly, without retries', async () => {
    const s = await server()
    const r = await notify({ status: 'success', 'smtp-url': url(s), 'fail-on-error': 'true' }, false)
    expect(r.code).not.toBe(0)
    expect(sent(r).email).toMatch(/TLS certificate is not trusted .*NODE_EXTRA_CA_CERTS/)
    expect(report(r).channels[0]?.attempts).toBe(1)
    expect(s.messages()).toHaveLength(0)
    expectNoSecrets(r, url(s))
  })

  it('421 is retried, then delivered', async () => {
    const s = await server({ failFirst: 2 })
    const r = await notify({ status: 'success', 'smtp-url': url(s) })
    expect(sent(r)).toEqual({ email: 'ok' })
    expect(report(r).channels[0]?.attempts).toBe(3)
    expect(s.messages()).toHaveLength(1)
  })

  it('550 is not retried', async () => {
    const s = await server({ reject: true })
    const r = await notify({ status: 'success', 'smtp-url': url(s) })
    expect(sent(r).email).toMatch(/^SMTP 550: /)
    expect(report(r).channels[0]?.attempts).toBe(1)
    expect(s.events.filter((e) => e.event === 'data')).toHaveLength(1)
    expectNoSecrets(r, url(s))
  })

  it('a bad smtp-url is one line naming the input, the value redacted', async () => {
    const r = await notify({ status: 'success', 'smtp-url': `http://${USER}:${PASSWORD}@localhost:25` })
    expect(r.code).not.toBe(0)
    expect(r.stdout).toContain(
      "::error::Input 'smtp-url' has invalid value ***: expected smtp://host:587 (STARTTLS) or smtps://host:465 (implicit TLS), with the login as user:password@ before the host\n"
    )
    expectNoSecrets(r, `http://${USER}:${PASSWORD}@localhost:25`)
  })
})
