// A real SMTP server for system tests: test/helpers/smtp-server.py under
// Debian's /usr/bin/python3 (python3-aiosmtpd), on a free 127.0.0.1 port, with
// a self-signed certificate made by openssl in a temp dir.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from '../harness/runner.mjs'

export const PYTHON = '/usr/bin/python3'
const SCRIPT = join(repoRoot, 'test', 'helpers', 'smtp-server.py')

/** Fails clearly (never skips) when the Debian packages are missing. */
export function requireSmtp(): void {
  execFileSync(PYTHON, ['-c', 'import aiosmtpd'], { timeout: 30_000 })
  if (!existsSync('/usr/bin/openssl')) throw new Error('/usr/bin/openssl not found: apt-get install -y openssl')
}

/** A self-signed certificate for localhost and 127.0.0.1 (also the CA a client trusts). */
export function makeCert(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-smtp-cert-'))
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync(
    '/usr/bin/openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2'].concat([
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1'
    ]),
    { stdio: 'ignore', timeout: 60_000 }
  )
  return { cert, key }
}

export interface SmtpOptions {
  mode: 'starttls' | 'plain' | 'smtps'
  cert?: { cert: string; key: string }
  user?: string
  password?: string
  failFirst?: number
  reject?: boolean
}

export interface SmtpEvent {
  event: 'data' | 'stored' | 'auth'
  attempt?: number
  file?: string
  tls?: boolean
  ok?: boolean
}

export interface SmtpServer {
  port: number
  events: SmtpEvent[]
  /** The raw messages stored so far. */
  messages(): Buffer[]
  stop(): Promise<void>
}

export async function startSmtp(o: SmtpOptions): Promise<SmtpServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-smtp-'))
  const args = [SCRIPT, '--dir', dir, '--mode', o.mode]
  if (o.cert) args.push('--cert', o.cert.cert, '--key', o.cert.key)
  if (o.user) args.push('--user', o.user, '--password', o.password ?? '')
  if (o.failFirst) args.push('--fail-first', String(o.failFirst))
  if (o.reject) args.push('--reject')
  const child: ChildProcess = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  const events: SmtpEvent[] = []
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const port = await new Promise<number>((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(() => reject(new Error(`smtp server not ready in 20 s: ${stderr}`)), 20_000)
    child.once('exit', (code) => reject(new Error(`smtp server exited (${code}): ${stderr}`)))
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString()
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim()
        buf = buf.slice(nl + 1)
        const ready = /^ready (\d+)$/.exec(line)
        if (ready) {
          clearTimeout(timer)
          resolve(Number(ready[1]))
        } else if (line.startsWith('{')) events.push(JSON.parse(line) as SmtpEvent)
      }
    })
  })
  return {
    port,
    events,
    messages: () => events.filter((e) => e.event === 'stored').map((e) => readFileSync(e.file!)),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.stdin!.end()
        child.kill('SIGTERM')
      })
  }
}
