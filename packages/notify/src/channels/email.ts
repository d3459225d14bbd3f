/**
 * Email over SMTP (nodemailer). `smtp://` must upgrade with STARTTLS, never
 * silently falling back to plain text, unless smtp-insecure allows a server
 * without TLS; `smtps://` is TLS from the first byte. Certificates are always
 * verified (a private CA comes through NODE_EXTRA_CA_CERTS). Every email of
 * one deployment is one thread (see email-message.ts).
 */
import { InputError, fields, optional, stringField, type Field } from '@gantry/core'
import { DeliveryError } from '../delivery.js'
import { clip, type Message } from '../message.js'
import type { Channel, SendContext, Sent } from './channel.js'
import { emailHtml, emailText, idDomain, threadHeaders } from './email-message.js'
import { channelKind } from './kind.js'

// Not written as scheme://user:password@host: redaction would blank that out of the message.
export const SMTP_URL_FORM =
  'smtp://host:587 (STARTTLS) or smtps://host:465 (implicit TLS), with the login as user:password@ before the host'
export const ADDRESSES_FORM = 'email addresses such as ops@example.com, one per line or comma-separated'
const FROM_FORM = 'a sender address such as Gantry <deploy@example.com>'

export interface SmtpServer {
  /** true: TLS from the start (smtps); false: STARTTLS on a plain connection (smtp). */
  secure: boolean
  host: string
  port: number
  user?: string
  password?: string
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** Parses smtp-url; undefined when it is not of SMTP_URL_FORM (the caller words the error). */
export function parseSmtpUrl(s: string): SmtpServer | undefined {
  let u: URL
  try {
    u = new URL(s)
  } catch {
    return undefined
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') return undefined
  if (!u.hostname || (u.pathname !== '' && u.pathname !== '/') || u.search || u.hash) return undefined
  const secure = u.protocol === 'smtps:'
  return {
    secure,
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    ...(u.username ? { user: decode(u.username) } : {}),
    ...(u.password ? { password: decode(u.password) } : {})
  }
}

/** Kept as written (a secret, masked in the form the user gave it); checked here. */
const smtpUrlField: Field<string> = stringField((s, fail) => (parseSmtpUrl(s) ? s : fail(`expected ${SMTP_URL_FORM}`)))

/** `ops@example.com` or `Ops <ops@example.com>`. */
const ADDRESS = /^(?:[^<>@,;"\r\n]*<([^\s<>@,;"]+@[^\s<>@,;"]+)>|([^\s<>@,;"]+@[^\s<>@,;"]+))$/

export function parseAddresses(s: string): string[] {
  return s
    .split(/[\r\n,]+/)
    .map((a) => a.trim())
    .filter(Boolean)
}

export function isAddress(s: string): boolean {
  return ADDRESS.test(s.trim())
}

const addressesField: Field<string[]> = stringField((s, fail) => {
  const list = parseAddresses(s)
  const bad = list.find((a) => !isAddress(a))
  if (list.length === 0) return fail(`expected ${ADDRESSES_FORM}`)
  if (bad !== undefined) return fail(`expected ${ADDRESSES_FORM} ('${clip(bad, 80)}' is not one)`)
  return list
})

const fromField: Field<string> = stringField((s, fail) => (isAddress(s) ? s.trim() : fail(`expected ${FROM_FORM}`)))

/** The sender: email-from, else the SMTP user when it is an address (most providers require that one). */
export function senderFor(from: string | undefined, server: SmtpServer | undefined): string | undefined {
  if (from) return from
  return server?.user && isAddress(server.user) ? server.user : undefined
}

/** Words for failures a retry cannot cure, with what to do about them. */
function tlsHint(e: { message?: string; code?: string; command?: string }): string | undefined {
  const text = e.message ?? ''
  if (/certificate|self[- ]signed|unable to (get|verify)|CERT_|hostname\/IP does not match|altnames/i.test(text)) {
    return `the server's TLS certificate is not trusted (${oneLine(text)}): give its CA in NODE_EXTRA_CA_CERTS`
  }
  if (e.code === 'ETLS' && e.command === 'STARTTLS') {
    return `the server refused STARTTLS (${oneLine(text)}), which smtp:// requires: use smtps://, or set smtp-insecure: true to allow a server without TLS`
  }
  return undefined
}

function oneLine(s: string): string {
  return clip(s.replace(/\s+/g, ' ').trim(), 300)
}

/** Failures of the connection itself: another attempt may find the server up. */
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNRESET', 'ECONNREFUSED'])

/**
 * A nodemailer error as a DeliveryError: 4xx replies (421, 450, 451, 452)
 * and connection failures are retried; 5xx replies (550, 535) and TLS
 * problems are not. The text is the server's reply, never the URL.
 */
export function smtpDeliveryError(e: unknown): DeliveryError {
  const err = (e ?? {}) as { message?: string; code?: string; command?: string; responseCode?: number }
  const hint = tlsHint(err)
  if (hint) return new DeliveryError(hint, false)
  const text = oneLine(err.message ?? String(e))
  if (typeof err.responseCode === 'number' && err.responseCode >= 400) {
    return new DeliveryError(`SMTP ${err.responseCode}: ${text}`, err.responseCode < 500, err.responseCode)
  }
  return new DeliveryError(text, TRANSIENT_CODES.has(err.code ?? ''))
}

export interface EmailOptions {
  server: SmtpServer
  /** Allow smtp:// without STARTTLS (TLS is still used when offered). */
  insecure: boolean
  from: string
  to: string[]
}

export function emailChannel(o: EmailOptions): Channel<'email'> {
  const { server } = o
  return {
    name: 'email',
    async send(m: Message, ctx: SendContext): Promise<Sent> {
      const timeout = ctx.policy.timeoutMs
      // Loaded only when email is configured: nodemailer is a chunk of the bundle of its own,
      // which every other notify step would otherwise load at start-up.
      const { createTransport } = await import('nodemailer')
      const transport = createTransport({
        host: server.host,
        port: server.port,
        secure: server.secure,
        // STARTTLS is required on smtp:// unless smtp-insecure; otherwise used when offered.
        requireTLS: !server.secure && !o.insecure,
        ...(server.user ? { auth: { user: server.user, pass: server.password ?? '' } } : {}),
        // Certificates are verified (the default); only the protocol floor is raised.
        tls: { minVersion: 'TLSv1.2' },
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
        logger: false,
        debug: false
      })
      const thread = threadHeaders(m, idDomain(o.from))
      try {
        const { value, attempts } = await ctx.deliver(async () => {
          try {
            return await transport.sendMail({
              from: o.from,
              to: o.to,
              subject: m.title,
              text: emailText(m),
              html: emailHtml(m),
              ...thread,
              headers: { 'Auto-Submitted': 'auto-generated', 'X-Gantry-Status': m.status }
            })
          } catch (e) {
            throw smtpDeliveryError(e)
          }
        })
        const rejected = value.rejected.length ? `, ${value.rejected.length} rejected` : ''
        return {
          detail: `${oneLine(value.response)} (${value.accepted.length} recipient(s) accepted by ${server.host}${rejected})`,
          attempts
        }
      } finally {
        transport.close()
      }
    }
  }
}

export const emailKind = channelKind({
  name: 'email',
  inputs: {
    'smtp-url': optional(smtpUrlField),
    'smtp-insecure': fields.boolean(),
    'email-from': optional(fromField),
    'email-to': optional(addressesField)
  },
  secrets: ['smtp-url'],
  // The user and password alone, and as AUTH PLAIN carries them (base64 of
  // NUL user NUL password); maskSecret adds the other encodings.
  secretParts(v) {
    const s = v['smtp-url'] ? parseSmtpUrl(v['smtp-url']) : undefined
    if (!s?.user && !s?.password) return []
    const plain = Buffer.from(`\0${s.user ?? ''}\0${s.password ?? ''}`, 'utf8').toString('base64')
    return [s.user, s.password, plain]
  },
  check(v) {
    const url = v['smtp-url']
    for (const name of ['email-to', 'email-from'] as const) {
      if (v[name] && !url) throw new InputError(`Input '${name}' needs 'smtp-url': expected ${SMTP_URL_FORM}`)
    }
    if (v['smtp-insecure'] && !url) {
      throw new InputError(`Input 'smtp-insecure' needs 'smtp-url': expected ${SMTP_URL_FORM}, or smtp-insecure: false`)
    }
    if (!url) return
    if (!v['email-to']) throw new InputError(`Input 'email-to' is required with smtp-url: expected ${ADDRESSES_FORM}`)
    if (!senderFor(v['email-from'], parseSmtpUrl(url))) {
      throw new InputError(
        `Input 'email-from' is required with smtp-url (its user is not an address): expected ${FROM_FORM}`
      )
    }
  },
  make(v) {
    const server = v['smtp-url'] ? parseSmtpUrl(v['smtp-url']) : undefined
    const from = senderFor(v['email-from'], server)
    if (!server || !from || !v['email-to']) return []
    return [emailChannel({ server, insecure: v['smtp-insecure'], from, to: v['email-to'] })]
  }
})
