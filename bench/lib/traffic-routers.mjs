// What the traffic bench stands on, as the system tests do it
// (test/helpers/traffic.ts, test/helpers/nginx.ts): nginx and HAProxy from
// Debian on free 127.0.0.1 ports with their own temp configs, in front of two
// app instances, and autocannon keep-alive load that counts failures by kind.
// Every child is killed when the bench exits, also on a failure.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { join } from 'node:path'
import autocannon from 'autocannon'

export const NGINX = process.env.GANTRY_NGINX ?? '/usr/sbin/nginx'
export const HAPROXY = process.env.GANTRY_HAPROXY ?? '/usr/sbin/haproxy'
export const SOCAT = '/usr/bin/socat'

const children = new Set()
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
  })
}

async function waitFor(cond, ms, what) {
  const end = performance.now() + ms
  while (!(await cond())) {
    if (performance.now() > end) throw new Error(`${what}: not ready within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

function track(child, stopSignal) {
  children.add(child)
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (d) => (stderr += d))
  child.once('exit', () => children.delete(child))
  return {
    child,
    stderr: () => stderr,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        const t = setTimeout(() => child.kill('SIGKILL'), 5000)
        child.once('exit', () => (clearTimeout(t), resolve()))
        child.kill(stopSignal)
      })
  }
}

/** An app instance (bench/lib/traffic-app.mjs) run from <root>/slots/<name>, answering after delayMs. */
export async function startApp(root, name, delayMs = 0) {
  const dir = join(root, 'slots', name)
  mkdirSync(dir, { recursive: true })
  const script = join(dir, 'server.mjs')
  writeFileSync(script, readFileSync(new URL('./traffic-app.mjs', import.meta.url)))
  const child = spawn(process.execPath, [script, name, String(delayMs)], { stdio: ['ignore', 'pipe', 'pipe'] })
  const t = track(child, 'SIGTERM')
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app ${name} did not start within 10 s`)), 10_000)
    child.stdout.setEncoding('utf8').once('data', (d) => (clearTimeout(timer), resolve(Number(d.trim()))))
    child.once('exit', (c) => reject(new Error(`app ${name} exited with ${c}: ${t.stderr()}`)))
  })
  return { name, port, address: `127.0.0.1:${port}`, stop: t.stop }
}

/** HAProxy in the foreground (-db): runtime API on a unix socket (level admin), a server-state-file. */
export async function startHaproxy(dir, servers) {
  const port = await freePort()
  const socket = join(dir, 'admin.sock')
  const stateFile = join(dir, 'server-state')
  const cfg = join(dir, 'haproxy.cfg')
  writeFileSync(
    cfg,
    `global
  stats socket ${socket} mode 600 level admin
  server-state-file ${stateFile}
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  load-server-state-from-file global
frontend web
  bind 127.0.0.1:${port}
  default_backend app
backend app
  balance roundrobin
${servers.map((s) => `  server ${s.name} ${s.address} weight ${s.weight}`).join('\n')}
`
  )
  const t = track(spawn(HAPROXY, ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] }), 'SIGUSR1')
  let exited = false
  t.child.once('exit', () => (exited = true))
  await waitFor(async () => exited || ((await canConnect(port)) && existsSync(socket)), 10_000, `haproxy on ${port}`)
  if (exited) throw new Error(`haproxy exited at start: ${t.stderr()}`)
  return { url: `http://127.0.0.1:${port}/`, port, socket, stateFile, cfg, stop: t.stop }
}

/**
 * nginx (master + one worker, no daemon) with its own prefix; `include` holds the upstream
 * block (it must exist to start), `proxy_pass http://app` with keep-alive to the upstream.
 */
export async function startNginx(prefix, include) {
  for (const d of ['logs', 'tmp']) mkdirSync(join(prefix, d), { recursive: true })
  const port = await freePort()
  // As root, nginx would switch workers to "nobody", who cannot read temp dirs.
  const user = process.getuid?.() === 0 ? 'user root root;' : ''
  const conf = join(prefix, 'nginx.conf')
  writeFileSync(
    conf,
    `${user}
worker_processes 1;
daemon off;
master_process on;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  default_type application/octet-stream;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  include ${include};
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`
  )
  const args = ['-p', prefix, '-c', conf]
  const t = track(
    spawn(NGINX, [...args, '-e', join(prefix, 'logs', 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] }),
    'SIGQUIT'
  )
  let exited = false
  t.child.once('exit', () => (exited = true))
  await waitFor(async () => exited || (await canConnect(port)), 10_000, `nginx on ${port}`)
  if (exited) throw new Error(`nginx exited at start: ${t.stderr()}`)
  return { url: `http://127.0.0.1:${port}/`, port, prefix, conf, args, pid: t.child.pid, stop: t.stop }
}

/**
 * autocannon load on `url` (keep-alive `connections`) while `work` runs, stopped when it ends.
 * Request errors are counted by code (ECONNRESET: a reset).
 */
export async function underLoad(url, connections, work) {
  const byCode = {}
  let instance
  const done = new Promise((resolve, reject) => {
    // duration is a bound only.
    instance = autocannon({ url, connections, duration: 120, timeout: 10 }, (err, r) =>
      err ? reject(err) : resolve(r)
    )
    instance.on('reqError', (e) => (byCode[e.code ?? e.message] = (byCode[e.code ?? e.message] ?? 0) + 1))
  })
  const t0 = performance.now()
  let value
  try {
    value = await work()
  } finally {
    instance.stop()
  }
  const r = await done
  const ms = performance.now() - t0
  const resets = Object.values(byCode).reduce((a, b) => a + b, 0)
  return {
    value,
    ms,
    load: {
      total: r.requests.total,
      ok: r['2xx'],
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      resets,
      byCode
    }
  }
}
