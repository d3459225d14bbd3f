/**
 * An email rendered from the same Message as every other channel: a text part
 * and an HTML part (everything escaped), and the headers that keep one
 * deployment in one thread. The Message-ID is derived from the run and the
 * environment, so a result's In-Reply-To can name the `started` email of the
 * same run without any state passed between the two steps.
 */
import { createHash } from 'node:crypto'
import type { Message, NotifyContext } from '../message.js'

/** Used when the sender's domain cannot be read (RFC 6761 reserves .invalid). */
export const FALLBACK_ID_DOMAIN = 'gantry.invalid'

/**
 * What names one deployment: repository, run id, run attempt (a re-run is a
 * new deployment) and environment. The release id is not part of it: the
 * `started` notice is sent before the release exists.
 */
export function threadHash(c: NotifyContext): string {
  const key = JSON.stringify([c.repository ?? '', c.runId ?? '', c.runAttempt ?? '', c.environment ?? ''])
  return createHash('sha256').update(key).digest('hex').slice(0, 32)
}

/** The domain of a sender address, reduced to the characters a Message-ID may carry. */
export function idDomain(from: string): string {
  const domain = /@([^@\s>]+)>?\s*$/.exec(from)?.[1]?.toLowerCase() ?? ''
  return /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/.test(domain) ? domain : FALLBACK_ID_DOMAIN
}

/**
 * `<gantry.{thread}.{status}[.{release}]@{domain}>`. A result names its
 * release, so two results of one run for different releases stay distinct;
 * `started` never does, so every result can derive it.
 */
export function messageId(m: Message, domain: string): string {
  const c = m.context
  const release =
    m.status !== 'started' && c.releaseId
      ? `.${createHash('sha256').update(c.releaseId).digest('hex').slice(0, 12)}`
      : ''
  return `<gantry.${threadHash(c)}.${m.status}${release}@${domain}>`
}

export function startedMessageId(m: Message, domain: string): string {
  return `<gantry.${threadHash(m.context)}.started@${domain}>`
}

export interface ThreadHeaders {
  messageId: string
  inReplyTo?: string
  references?: string
}

export function threadHeaders(m: Message, domain: string): ThreadHeaders {
  const id = messageId(m, domain)
  if (m.status === 'started') return { messageId: id }
  const started = startedMessageId(m, domain)
  return { messageId: id, inReplyTo: started, references: started }
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

function links(m: Message): Array<[string, string]> {
  const out: Array<[string, string]> = []
  if (m.runUrl) out.push(['View run', m.runUrl])
  if (m.environmentUrl) out.push(['Open environment', m.environmentUrl])
  return out
}

export function emailText(m: Message): string {
  const facts = m.facts.map((f) => `${f.label}: ${f.value}${f.url ? ` <${f.url}>` : ''}`)
  const link = links(m).map(([label, url]) => `${label}: ${url}`)
  return [
    m.title,
    '',
    m.text,
    '',
    ...facts,
    ...(link.length ? ['', ...link] : []),
    '',
    '-- ',
    'gantry notify',
    ''
  ].join('\n')
}

/** Only http(s) links become anchors; anything else is shown as text. */
function anchor(url: string, label: string): string {
  return /^https?:\/\//i.test(url) ? `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>` : escapeHtml(label)
}

export function emailHtml(m: Message): string {
  const rows = m.facts
    .map(
      (f) =>
        `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(f.label)}</th><td>${f.url ? anchor(f.url, f.value) : escapeHtml(f.value)}</td></tr>`
    )
    .join('\n')
  const link = links(m)
    .map(([label, url]) => anchor(url, label))
    .join(' · ')
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"></head>',
    `<body style="font-family:sans-serif">`,
    `<div style="border-left:4px solid ${/^#[0-9a-f]{6}$/i.test(m.color) ? m.color : '#6e7781'};padding-left:12px">`,
    `<h2 style="margin:0 0 8px">${escapeHtml(m.title)}</h2>`,
    `<p>${escapeHtml(m.text)}</p>`,
    `<table>\n${rows}\n</table>`,
    link ? `<p>${link}</p>` : '',
    '</div>',
    '<p style="color:#6e7781;font-size:12px">gantry notify</p>',
    '</body></html>',
    ''
  ]
    .filter((l) => l !== '')
    .join('\n')
}
