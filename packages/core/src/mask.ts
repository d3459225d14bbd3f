/**
 * Secret redaction: the one module every log line, job summary, report,
 * output and artifact (JUnit) writer goes through.
 *
 * core.setSecret masks the runner's log, but not the files we write ourselves
 * (job summary, JSON report, JUnit), and reports are uploaded as artifacts,
 * which the runner never masks. A registered secret is therefore redacted in
 * every form a writer may give it:
 * - as it is, percent-encoded (encodeURIComponent, a form body, and as the URL
 *   parser writes it in a query, a path and userinfo), and base64;
 * - each of those inside a JSON string (once, and twice for JSON in JSON),
 *   escaped for a Markdown table cell, and escaped for XML/HTML;
 * - a URL's password also as base64 of `user:password` (the `Basic`
 *   credential Node builds from it), and query values whose names say they are
 *   credentials (`api_key`, `token`, …).
 * Reports are redacted value by value before JSON encoding (redactDeep), and
 * the encoded text once more. Every form is also sent to the runner's masker
 * (once each), so the log hides it too.
 */
import * as core from '@actions/core'
import { escapeCell } from './markdown.js'

/** Shorter values are not masked: masking `1` or `ok` would blank out every log line. */
export const MIN_SECRET_LENGTH = 4

/**
 * Names whose values are credentials: query parameters, variables, captures,
 * inputs. The one word list every action uses, so a name masked by one is
 * masked by all.
 */
export const SECRET_NAME =
  /token|secret|passw(or)?d|passwd|pwd|auth|api[-_.]?key|^key$|signature|^sig$|session|credential|cookie/i
/** Query parameter names whose values are credentials (the same rule). */
export const SECRET_PARAM = SECRET_NAME

/** Header names whose values are credentials: the well-known ones, and any named like a secret or a key. */
export function isSecretHeader(name: string): boolean {
  return /^(authorization|proxy-authorization|cookie|set-cookie)$|key/i.test(name) || SECRET_NAME.test(name)
}

const forms = new Set<string>()
const logged = new Set<string>()
let pattern: RegExp | undefined

/** Every form of one value that a writer may produce (see the module comment). */
export function secretForms(value: string): string[] {
  const inner = new Set<string>([value])
  const add = (f: () => string) => {
    try {
      inner.add(f())
    } catch {
      // a lone surrogate cannot be percent-encoded: the raw form is still there
    }
  }
  add(() => encodeURIComponent(value))
  add(() => new URLSearchParams({ a: value }).toString().slice(2))
  add(() => {
    const u = new URL('http://h/')
    u.search = value
    return u.search.slice(1)
  })
  add(() => {
    const u = new URL('http://h/')
    u.pathname = value
    return u.pathname.slice(1)
  })
  add(() => {
    const u = new URL('http://h/')
    u.password = value
    return u.password
  })
  add(() => Buffer.from(value, 'utf8').toString('base64'))
  const out = new Set<string>()
  for (const f of inner) {
    out.add(f)
    out.add(JSON.stringify(f).slice(1, -1))
    out.add(JSON.stringify(JSON.stringify(f)).slice(3, -3))
    out.add(escapeCell(f))
    out.add(escapeXml(f))
  }
  return [...out].filter((f) => f.length >= MIN_SECRET_LENGTH)
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** Registers one exact value (and its forms); each form reaches the runner's masker once. */
function register(value: string): void {
  if (value.length < MIN_SECRET_LENGTH) return
  for (const f of secretForms(value)) {
    if (!forms.has(f)) {
      forms.add(f)
      pattern = undefined
    }
    // The runner masks a multi-line value line by line only when told each line.
    for (const line of f.split(/\r?\n/)) {
      if (line.trim().length < MIN_SECRET_LENGTH || logged.has(line)) continue
      logged.add(line)
      core.setSecret(line)
    }
  }
}

/** Registers a secret (and, for URLs, their secret-bearing parts) for masking. */
export function maskSecret(value: string | undefined): void {
  if (!value) return
  register(value)
  if (/\r?\n/.test(value)) for (const line of value.split(/\r?\n/)) register(line.trim())
  let u: URL
  try {
    u = new URL(value)
  } catch {
    return
  }
  // Webhook URLs carry their secret in the path or query: mask those too,
  // since an error may print the URL's pieces separately.
  if (u.pathname.length > 8) register(u.pathname)
  if (u.search.length > 8) register(u.search)
  maskUrl(u)
}

/**
 * Registers the credentials a URL carries: its password (as written and
 * decoded), the `Basic` credential built from its userinfo, and the values of
 * query parameters named like credentials (SECRET_PARAM). The rest of the URL
 * stays readable.
 */
export function maskUrl(url: URL | string | undefined): void {
  if (!url) return
  let u: URL
  try {
    u = typeof url === 'string' ? new URL(url) : url
  } catch {
    return
  }
  if (u.password) {
    const password = decode(u.password)
    register(u.password)
    register(password)
    register(Buffer.from(`${decode(u.username)}:${password}`, 'utf8').toString('base64'))
  }
  for (const [name, value] of u.searchParams) if (SECRET_PARAM.test(name)) register(value)
  for (const [name, value] of rawParams(u.search)) if (SECRET_PARAM.test(decode(name))) register(value)
}

/**
 * Registers a credential header's value: the whole value, the credential
 * after its scheme (`Bearer x` → `x`), and for `Basic` the decoded
 * `user:password` and the password alone.
 */
export function maskCredentialHeader(value: string): void {
  register(value)
  const m = /^(\w+)\s+(.+)$/.exec(value.trim())
  if (!m) return
  const credential = m[2] as string
  register(credential)
  if (m[1]?.toLowerCase() !== 'basic' || !/^[A-Za-z0-9+/]+=*$/.test(credential)) return
  const decoded = Buffer.from(credential, 'base64').toString('utf8')
  register(decoded)
  const colon = decoded.indexOf(':')
  if (colon >= 0) register(decoded.slice(colon + 1))
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

function rawParams(search: string): Array<[string, string]> {
  return search
    .replace(/^\?/, '')
    .split('&')
    .filter(Boolean)
    .map((kv) => {
      const i = kv.indexOf('=')
      return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)]
    })
}

/**
 * A URL as logs, summaries and reports show it: no userinfo, and the value of
 * every credential-named query parameter replaced by `***`.
 */
export function safeUrl(url: URL | string): string {
  let u: URL
  try {
    u = typeof url === 'string' ? new URL(url) : new URL(url.href)
  } catch {
    return scrubUrls(String(url))
  }
  u.username = ''
  u.password = ''
  if (!u.search) return u.href
  const query = u.search
    .slice(1)
    .split('&')
    .map((kv) => {
      const i = kv.indexOf('=')
      return i > 0 && i < kv.length - 1 && SECRET_PARAM.test(decode(kv.slice(0, i))) ? `${kv.slice(0, i)}=***` : kv
    })
    .join('&')
  return `${u.origin}${u.pathname}?${query}${u.hash}`
}

/** The URL without its userinfo (`user:password@`); as written when it has none. */
export function stripUserinfo(url: string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return url
  }
  if (!u.username && !u.password) return url
  u.username = ''
  u.password = ''
  return u.href
}

/**
 * Removes URL credentials from free text (an input's value quoted in an error
 * line, a server's message): the password of `scheme://user:password@`, and
 * the values of credential-named query parameters.
 */
export function scrubUrls(text: string): string {
  // A value ends where a URL would: at whitespace, a quote, markup or a table bar (so JSON and Markdown stay intact).
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:"'`<>\\|]*):[^\s/?#@"'`<>\\|]*@/gi, '$1:***@')
    .replace(/([?&])([^\s=&#?"'`<>\\|]+)=([^\s&#"'`<>\\|]*)/g, (all, sep: string, name: string, value: string) =>
      value && SECRET_PARAM.test(decode(name)) ? `${sep}${name}=***` : all
    )
}

/** Replaces every registered secret, in every form, and every URL credential in text with ***. */
export function redact(text: string): string {
  if (forms.size > 0) {
    if (!pattern) {
      // Longest first, so a URL is replaced whole rather than leaving its host.
      const alternatives = [...forms].sort((a, b) => b.length - a.length).map(escapeRegExp)
      pattern = new RegExp(alternatives.join('|'), 'g')
    }
    text = text.replace(pattern, '***')
  }
  return scrubUrls(text)
}

/**
 * Redacts every string (and key) of a JSON-like value before it is encoded:
 * a secret with `"` or `\` is then found as it is, not as JSON escaped it.
 */
export function redactDeep(value: unknown): unknown {
  if (typeof value === 'string') return redact(value)
  if (value === null || typeof value !== 'object') return value
  const withJson = value as { toJSON?: () => unknown }
  if (typeof withJson.toJSON === 'function') return redactDeep(withJson.toJSON())
  if (Array.isArray(value)) return value.map(redactDeep)
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), redactDeep(v)]))
}

/** JSON text with every secret redacted, before and after encoding. */
export function redactedJson(value: unknown, space?: number): string {
  return redact(JSON.stringify(redactDeep(value), null, space))
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** For tests. */
export function clearSecrets(): void {
  forms.clear()
  logged.clear()
  pattern = undefined
}
