#!/usr/bin/env node
// notify's email channel against a real SMTP server (Debian's python3-aiosmtpd,
// test/helpers/smtp-server.py) with STARTTLS and AUTH on a certificate made by
// openssl: 20 messages through Gantry's channel in-process (built from
// packages/notify with ncc, as dist is) against the same 20 sent with bare
// nodemailer, one transport per message as the channel does (the floor); and
// the whole notify step (dist/notify/index.js, Node's start included).
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { runAction } from '../test/harness/runner.mjs'
import { fmt, median, repoRoot, writeSection } from './lib/util.mjs'

const N = 20
const ROUNDS = 5
const work = mkdtempSync(join(tmpdir(), 'gantry-bench-email-'))

// The client must trust the test certificate from its start: re-run this script with it.
if (!process.env.GANTRY_BENCH_CA) {
  const cert = join(work, 'cert.pem')
  const key = join(work, 'key.pem')
  execFileSync(
    '/usr/bin/openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=localhost'
    ].concat(['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']),
    { stdio: 'ignore' }
  )
  const r = spawnSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: cert, GANTRY_BENCH_CA: cert, GANTRY_BENCH_KEY: key }
  })
  rmSync(work, { recursive: true, force: true })
  process.exit(r.status ?? 1)
}

const load = loadavg()[0]
const cert = process.env.GANTRY_BENCH_CA
const key = process.env.GANTRY_BENCH_KEY
const USER = 'bench'
const PASSWORD = 'bench-password'

async function startSmtp() {
  const dir = mkdtempSync(join(work, 'mail-'))
  const args = [join(repoRoot, 'test', 'helpers', 'smtp-server.py'), '--dir', dir, '--mode', 'starttls']
  args.push('--cert', cert, '--key', key, '--user', USER, '--password', PASSWORD)
  const child = spawn('/usr/bin/python3', args, { stdio: ['pipe', 'pipe', 'inherit'] })
  const port = await new Promise((resolve, reject) => {
    let buf = ''
    const t = setTimeout(() => reject(new Error('smtp server not ready in 20 s')), 20_000)
    child.once('exit', (c) => reject(new Error(`smtp server exited ${c}`)))
    child.stdout.setEncoding('utf8').on('data', (d) => {
      buf += d
      const m = /^ready (\d+)$/m.exec(buf)
      if (m) {
        clearTimeout(t)
        resolve(Number(m[1]))
      }
    })
  })
  return { port, stop: () => new Promise((r) => (child.once('exit', r), child.stdin.end(), child.kill('SIGTERM'))) }
}

// Gantry's channel, in-process: packages/notify built with ncc into one file, as the action is.
const entryDir = join(repoRoot, 'bench', 'lib', 'notify-email')
const ncc = join(repoRoot, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js')
execFileSync(process.execPath, [ncc, 'build', join(entryDir, 'entry.ts'), '-o', join(work, 'built'), '--quiet'], {
  cwd: entryDir,
  stdio: 'inherit'
})
const g = await import(pathToFileURL(join(work, 'built', 'index.js')).href)
const { createTransport } = await import('nodemailer')

const smtp = await startSmtp()
const server = { secure: false, host: '127.0.0.1', port: smtp.port, user: USER, password: PASSWORD }
const from = 'gantry@example.com'
const to = ['ops@example.com']
const message = g.buildMessage({ status: 'success', environment: 'production', releaseId: 'r42' })
const policy = { ...g.defaultPolicy, timeoutMs: 10_000 }
const ctx = { policy, deliver: (attempt) => g.deliver(attempt, policy) }

async function gantry() {
  const ch = g.emailChannel({ server, insecure: false, from, to })
  for (let i = 0; i < N; i++) await ch.send(message, ctx)
}

async function bare() {
  for (let i = 0; i < N; i++) {
    const t = createTransport({
      host: server.host,
      port: server.port,
      secure: false,
      requireTLS: true,
      auth: { user: USER, pass: PASSWORD }
    })
    await t.sendMail({ from, to, subject: message.title, text: message.text, html: `<p>${message.text}</p>` })
    t.close()
  }
}

const time = async (f) => {
  const t = performance.now()
  await f()
  return performance.now() - t
}

const gantryMs = []
const bareMs = []
await bare() // warm-up: the first TLS handshakes and module loads
await gantry()
for (let i = 0; i < ROUNDS; i++) {
  bareMs.push(await time(bare))
  gantryMs.push(await time(gantry))
}

const stepMs = []
for (let i = 0; i < ROUNDS; i++) {
  const t = performance.now()
  const r = await runAction('notify', {
    inputs: {
      status: 'success',
      environment: 'production',
      'smtp-url': `smtp://${USER}:${PASSWORD}@127.0.0.1:${smtp.port}`,
      'email-from': from,
      'email-to': to.join('\n')
    },
    env: { NODE_EXTRA_CA_CERTS: cert },
    timeoutMs: 60_000
  })
  if (r.code !== 0) throw new Error(`notify step failed: ${r.stdout.slice(-1000)}`)
  stepMs.push(performance.now() - t)
}
await smtp.stop()
rmSync(work, { recursive: true, force: true })

const gm = median(gantryMs)
const bm = median(bareMs)
const ratio = gm / bm
const sm = median(stepMs)
writeSection(
  'notify-email',
  `## notify — email over SMTP (STARTTLS + AUTH)

Real SMTP server on 127.0.0.1 (Debian's python3-aiosmtpd), STARTTLS required, AUTH PLAIN, certificate
made by openssl and trusted through NODE_EXTRA_CA_CERTS. ${N} messages one after another, a new
connection each (one notify step sends one message), median of ${ROUNDS} rounds after a warm-up. Load
average ${load.toFixed(1)} when the run started.

| What | ${N} messages | per message | vs floor |
| --- | --- | --- | --- |
| bare nodemailer, same options (floor) | ${fmt(bm)} ms | ${fmt(bm / N, 1)} ms | 1.0× |
| Gantry's email channel, in-process (text + HTML parts, thread headers, error classification) | ${fmt(gm)} ms | ${fmt(gm / N, 1)} ms | ${fmt(ratio, 2)}× |
| whole notify step (\`dist/notify/index.js\`, Node's start included), one message | – | ${fmt(sm)} ms | – |

| Goal | Result | Verdict |
| --- | --- | --- |
| in-process ≤ 1.5× bare nodemailer | ${fmt(ratio, 2)}× | ${ratio <= 1.5 ? '✅ met' : '❌ missed'} |
`
)
