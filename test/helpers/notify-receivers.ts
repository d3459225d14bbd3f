// Local receivers for notify's channels, and checks of each payload against
// the provider's published format:
// - Slack Block Kit reference (docs.slack.dev/reference/block-kit): header
//   plain_text ≤ 150, section text 1..3000, ≤ 10 fields of ≤ 2000, context
//   1..10 elements, ≤ 50 blocks; mrkdwn escapes &, <, > except in <url|label>.
// - Microsoft Teams Workflows: a Bot Framework message whose single attachment
//   has contentType application/vnd.microsoft.card.adaptive and the card as
//   `content`; the card is parsed by Microsoft's own `adaptivecards` library
//   for its declared version (unknown elements, missing required properties,
//   features newer than the version) and checked against the
//   Adaptive Card schema's enums and the versions Teams renders (≤ 1.5).
// - Discord "Execute Webhook" / embed limits (discord.com/developers/docs):
//   title 256, description 4096, ≤ 25 fields of 256/1024, footer 2048,
//   6000 characters in all embeds, ≤ 10 embeds, content ≤ 2000.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createRequire } from 'node:module'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { readBody, startServer, type TestServer } from './http.js'

export interface Received {
  method: string
  path: string
  headers: IncomingMessage['headers']
  text: string
  json: unknown
}

export interface Receiver {
  url: string
  received: Received[]
  close(): Promise<void>
}

export type Reply = (r: Received, n: number, res: ServerResponse) => void | Promise<void>

/** A receiver that records every request and answers with `reply` (default 200 "ok"). */
export async function startReceiver(reply?: Reply, path = '/hook'): Promise<Receiver> {
  const received: Received[] = []
  const server: TestServer = await startServer(async (req, res) => {
    const text = await readBody(req)
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, text, json }
    received.push(r)
    if (reply) return reply(r, received.length, res)
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
  })
  return { url: `${server.url}${path}`, received, close: () => server.close() }
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => Boolean(v) && typeof v === 'object' && !Array.isArray(v)
const len = (v: unknown) => (typeof v === 'string' ? v.length : -1)

// ---------- Slack ----------

/** `<` may only open a link or mention (<http…|label>, <@U…>, <#C…>, <!here>); `&` only an entity. */
function checkMrkdwn(where: string, text: string, errors: string[]): void {
  const stripped = text.replace(/<(https?:\/\/[^|>\s]+|mailto:[^|>\s]+)(\|[^>]*)?>/g, '').replace(/<[@#!][^>]+>/g, '')
  if (/[<>]/.test(stripped)) errors.push(`${where}: unescaped < or > in mrkdwn`)
  if (/&(?!amp;|lt;|gt;)/.test(stripped)) errors.push(`${where}: unescaped & in mrkdwn`)
}

function checkText(where: string, t: unknown, max: number, errors: string[]): void {
  if (!isObj(t)) return void errors.push(`${where}: missing text object`)
  if (t.type !== 'plain_text' && t.type !== 'mrkdwn') errors.push(`${where}: text type ${String(t.type)}`)
  if (len(t.text) < 1 || len(t.text) > max) errors.push(`${where}: text length ${len(t.text)} not in 1..${max}`)
  if (t.type === 'mrkdwn' && typeof t.text === 'string') checkMrkdwn(where, t.text, errors)
}

export function checkSlackBlocks(blocks: unknown): string[] {
  const errors: string[] = []
  if (!Array.isArray(blocks)) return ['blocks is not an array']
  if (blocks.length < 1 || blocks.length > 50) errors.push(`${blocks.length} blocks (1..50)`)
  blocks.forEach((b: unknown, i) => {
    const at = `blocks[${i}]`
    if (!isObj(b)) return void errors.push(`${at}: not an object`)
    if (b.block_id !== undefined && len(b.block_id) > 255) errors.push(`${at}: block_id over 255`)
    switch (b.type) {
      case 'header':
        if (!isObj(b.text) || b.text.type !== 'plain_text') errors.push(`${at}: header text must be plain_text`)
        checkText(at, b.text, 150, errors)
        break
      case 'section':
        if (b.text === undefined && b.fields === undefined) errors.push(`${at}: section needs text or fields`)
        if (b.text !== undefined) checkText(at, b.text, 3000, errors)
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length < 1 || b.fields.length > 10)
            errors.push(`${at}: fields must be 1..10 items`)
          else b.fields.forEach((f, j) => checkText(`${at}.fields[${j}]`, f, 2000, errors))
        }
        break
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length < 1 || b.elements.length > 10)
          errors.push(`${at}: context needs 1..10 elements`)
        else b.elements.forEach((e, j) => checkText(`${at}.elements[${j}]`, e, 3000, errors))
        break
      case 'divider':
        break
      default:
        errors.push(`${at}: unexpected block type ${String(b.type)}`)
    }
  })
  return errors
}

/** An incoming-webhook or chat.postMessage body: blocks plus the `text` fallback Slack asks for. */
export function checkSlackMessage(body: unknown): string[] {
  if (!isObj(body)) return ['body is not a JSON object']
  const errors = checkSlackBlocks(body.blocks)
  if (len(body.text) < 1) errors.push('no top-level text fallback (used for notifications)')
  if (len(body.text) > 40_000) errors.push('text over 40000 characters')
  return errors
}

export interface SlackMessage {
  channel: string
  ts: string
  text: string
  blocks: unknown
  updates: number
}

export interface SlackApi {
  url: string
  /** Messages by ts, as a channel would show them now. */
  messages: Map<string, SlackMessage>
  calls: Received[]
  /** Problems found in requests (auth, arguments, Block Kit). */
  problems: string[]
  close(): Promise<void>
}

/**
 * A stand-in for Slack's Web API (chat.postMessage, chat.update): bearer
 * token, JSON body, the documented required arguments, Block Kit limits; it
 * keeps messages by ts so an update is seen to replace the message in place.
 */
export async function startSlackApi(token: string, reply?: Reply): Promise<SlackApi> {
  const messages = new Map<string, SlackMessage>()
  const problems: string[] = []
  let seq = 0
  const rx = await startReceiver(async (r, n, res) => {
    // A test's reply may answer first (a 429, a stall); otherwise Slack's behaviour.
    if (reply) await reply(r, n, res)
    if (res.headersSent) return
    const send = (data: Obj): void => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(data))
    }
    if (r.headers.authorization !== `Bearer ${token}`) return send({ ok: false, error: 'invalid_auth' })
    if (!/^application\/json/.test(String(r.headers['content-type'])))
      problems.push(`${r.path}: content-type is not JSON`)
    const body = r.json
    if (!isObj(body)) return send({ ok: false, error: 'invalid_json' })
    const errors = checkSlackMessage(body)
    if (errors.length) {
      problems.push(...errors.map((e) => `${r.path}: ${e}`))
      return send({ ok: false, error: 'invalid_blocks' })
    }
    if (typeof body.channel !== 'string' || !body.channel) return send({ ok: false, error: 'channel_not_found' })
    if (r.path === '/api/chat.postMessage') {
      const ts = `1700000000.${String(++seq).padStart(6, '0')}`
      messages.set(ts, { channel: body.channel, ts, text: String(body.text), blocks: body.blocks, updates: 0 })
      return send({ ok: true, channel: body.channel, ts, message: { text: body.text, ts } })
    }
    if (r.path === '/api/chat.update') {
      const m = typeof body.ts === 'string' ? messages.get(body.ts) : undefined
      if (!m || m.channel !== body.channel) return send({ ok: false, error: 'message_not_found' })
      m.text = String(body.text)
      m.blocks = body.blocks
      m.updates++
      return send({ ok: true, channel: m.channel, ts: m.ts, text: m.text })
    }
    problems.push(`${r.path}: unknown method`)
    return send({ ok: false, error: 'unknown_method' })
  }, '/api')
  return { url: rx.url, messages, calls: rx.received, problems, close: rx.close }
}

// ---------- Teams (Adaptive Card) ----------

const require = createRequire(import.meta.url)
interface AC {
  Versions: Record<string, unknown>
  SerializationContext: new (targetVersion?: unknown) => {
    eventCount: number
    getEventAt(i: number): { message: string }
  }
  AdaptiveCard: new () => {
    parse(json: unknown, ctx: unknown): void
    validateProperties(): { validationEvents: Array<{ message: string }> }
  }
}
let ac: AC | undefined
function adaptiveCards(): AC {
  // The package's lib/ is extension-less ESM that Node cannot load; its UMD build works.
  ac ??= require('adaptivecards/dist/adaptivecards.js') as AC
  return ac
}

const ENUMS: Record<string, string[]> = {
  color: ['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention'],
  weight: ['Default', 'Lighter', 'Bolder'],
  size: ['Default', 'Small', 'Medium', 'Large', 'ExtraLarge']
}

export function checkAdaptiveCard(card: unknown): string[] {
  const errors: string[] = []
  if (!isObj(card)) return ['card is not an object']
  if (card.type !== 'AdaptiveCard') errors.push(`type is ${String(card.type)}`)
  if (!['1.0', '1.1', '1.2', '1.3', '1.4', '1.5'].includes(String(card.version)))
    errors.push(`version ${String(card.version)} is not one Teams renders (1.0..1.5)`)
  const lib = adaptiveCards()
  // Parsing for the card's declared version reports anything newer than it
  // ("Property "style" is supported in version 1.5, but you are using 1.4").
  const target = lib.Versions[`v${String(card.version).replace('.', '_')}`]
  const ctx = new lib.SerializationContext(target)
  const parsed = new lib.AdaptiveCard()
  parsed.parse(card, ctx)
  for (let i = 0; i < ctx.eventCount; i++) errors.push(`parse: ${ctx.getEventAt(i).message}`)
  for (const e of parsed.validateProperties().validationEvents) errors.push(`validate: ${e.message}`)
  const walk = (v: unknown, at: string) => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${at}[${i}]`))
    if (!isObj(v)) return
    if (v.type === 'TextBlock') {
      if (typeof v.text !== 'string') errors.push(`${at}: TextBlock without text`)
      for (const [k, allowed] of Object.entries(ENUMS))
        if (v[k] !== undefined && !allowed.includes(String(v[k]))) errors.push(`${at}: ${k} ${String(v[k])}`)
    }
    if (v.type === 'FactSet') {
      if (!Array.isArray(v.facts)) errors.push(`${at}: FactSet without facts`)
      else
        v.facts.forEach((f: unknown, i) => {
          if (!isObj(f) || typeof f.title !== 'string' || typeof f.value !== 'string')
            errors.push(`${at}.facts[${i}]: needs string title and value`)
        })
    }
    if (v.type === 'Action.OpenUrl' && !/^https?:\/\//.test(String(v.url))) errors.push(`${at}: OpenUrl url`)
    for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`)
  }
  walk(card.body, 'body')
  walk(card.actions, 'actions')
  return errors
}

export function checkTeamsEnvelope(body: unknown): string[] {
  if (!isObj(body)) return ['body is not a JSON object']
  const errors: string[] = []
  if (body.type !== 'message') errors.push(`envelope type is ${String(body.type)}, expected message`)
  if (!Array.isArray(body.attachments) || body.attachments.length !== 1) {
    return [...errors, 'expected exactly one attachment']
  }
  const a = body.attachments[0] as Obj
  if (a.contentType !== 'application/vnd.microsoft.card.adaptive') errors.push(`contentType ${String(a.contentType)}`)
  return [...errors, ...checkAdaptiveCard(a.content)]
}

// ---------- Discord ----------

export const DISCORD = { title: 256, description: 4096, fields: 25, name: 256, value: 1024, footer: 2048, total: 6000 }

export function checkDiscordBody(body: unknown): string[] {
  if (!isObj(body)) return ['body is not a JSON object']
  const errors: string[] = []
  if (body.content !== undefined && len(body.content) > 2000) errors.push('content over 2000')
  if (!Array.isArray(body.embeds) || body.embeds.length < 1 || body.embeds.length > 10)
    return [...errors, 'embeds must be 1..10']
  let total = 0
  body.embeds.forEach((e: unknown, i) => {
    const at = `embeds[${i}]`
    if (!isObj(e)) return void errors.push(`${at}: not an object`)
    const t = len(e.title)
    const d = len(e.description)
    if (t > DISCORD.title) errors.push(`${at}: title ${t} > ${DISCORD.title}`)
    if (d > DISCORD.description) errors.push(`${at}: description ${d} > ${DISCORD.description}`)
    total += Math.max(0, t) + Math.max(0, d)
    if (
      e.color !== undefined &&
      !(Number.isInteger(e.color) && (e.color as number) >= 0 && (e.color as number) <= 0xffffff)
    )
      errors.push(`${at}: color must be an integer 0..0xFFFFFF`)
    if (e.timestamp !== undefined && Number.isNaN(Date.parse(String(e.timestamp)))) errors.push(`${at}: timestamp`)
    if (e.url !== undefined && !/^https?:\/\//.test(String(e.url))) errors.push(`${at}: url`)
    const fields = (e.fields ?? []) as unknown[]
    if (!Array.isArray(fields) || fields.length > DISCORD.fields) errors.push(`${at}: more than 25 fields`)
    fields.forEach((f, j) => {
      if (!isObj(f)) return void errors.push(`${at}.fields[${j}]: not an object`)
      const n = len(f.name)
      const v = len(f.value)
      if (n < 1 || n > DISCORD.name) errors.push(`${at}.fields[${j}]: name length ${n}`)
      if (v < 1 || v > DISCORD.value) errors.push(`${at}.fields[${j}]: value length ${v}`)
      total += Math.max(0, n) + Math.max(0, v)
    })
    if (isObj(e.footer)) {
      const f = len(e.footer.text)
      if (f > DISCORD.footer) errors.push(`${at}: footer ${f}`)
      total += Math.max(0, f)
    }
    if (isObj(e.author)) total += Math.max(0, len(e.author.name))
  })
  if (total > DISCORD.total) errors.push(`embeds total ${total} > ${DISCORD.total}`)
  return errors
}

// ---------- generic webhook ----------

/** Verifies X-Gantry-Signature the way a receiver should: HMAC of the raw body, constant-time compare. */
export function verifySignature(rawBody: string, header: string | string[] | undefined, secret: string): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false
  const expected = Buffer.from(createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex'))
  const got = Buffer.from(header.slice('sha256='.length))
  return got.length === expected.length && timingSafeEqual(got, expected)
}
