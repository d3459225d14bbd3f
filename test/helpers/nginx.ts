// nginx from Debian, started for a test on a free 127.0.0.1 port with its own
// prefix and config (no daemon, no system files touched), stopped by stop().
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { canConnect, freePort, waitFor } from './http.js'

export const NGINX = process.env.GANTRY_NGINX ?? '/usr/sbin/nginx'

export interface Nginx {
  url: string
  port: number
  prefix: string
  /** nginx.conf, for `-p prefix -c conf` (nginx -t, nginx -s reload). */
  conf: string
  process: ChildProcess
  stop(): Promise<void>
}

/** Fails clearly (never skips) when the Debian package is missing. */
export function requireNginx(): void {
  if (!existsSync(NGINX)) {
    throw new Error(`nginx not found at ${NGINX}: install the Debian package (apt-get install -y nginx); .ci/run does`)
  }
}

/**
 * @param serverBlock the inside of the `server { }` block (listen is added).
 * @param o.http more of the `http { }` block (an include holding an upstream, say).
 * @param o.pid the `pid` directive's path (default: nginx.pid in the prefix, absolute); a relative
 *   one is nginx's own (under the prefix), which no reader of the configuration can locate.
 */
export async function startNginx(serverBlock: string, o: { http?: string; pid?: string } = {}): Promise<Nginx> {
  requireNginx()
  const prefix = mkdtempSync(join(tmpdir(), 'gantry-nginx-'))
  for (const d of ['logs', 'tmp']) mkdirSync(join(prefix, d))
  const port = await freePort()
  // As root, nginx would switch workers to "nobody", who cannot read test temp dirs.
  const user = process.getuid?.() === 0 ? 'user root root;' : ''
  const conf = `
${user}
worker_processes 1;
daemon off;
master_process on;
pid ${o.pid ?? `${prefix}/nginx.pid`};
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
  ${o.http ?? ''}
  server {
    listen 127.0.0.1:${port};
    ${serverBlock}
  }
}
`
  const confPath = join(prefix, 'nginx.conf')
  writeFileSync(confPath, conf)
  const child = spawn(NGINX, ['-p', prefix, '-c', confPath, '-e', join(prefix, 'logs', 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (d) => (stderr += d))
  let exited = false
  child.on('exit', () => (exited = true))
  try {
    await waitFor(async () => exited || (await canConnect(port)), 10_000, `nginx on port ${port}`)
  } catch (e) {
    child.kill('SIGKILL')
    throw e
  }
  if (exited) {
    const log = existsSync(join(prefix, 'logs', 'error.log'))
      ? readFileSync(join(prefix, 'logs', 'error.log'), 'utf8')
      : ''
    throw new Error(`nginx exited at start: ${stderr}${log}`)
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    prefix,
    conf: confPath,
    process: child,
    async stop() {
      if (exited) return
      const done = new Promise<void>((r) => child.once('exit', () => r()))
      child.kill('SIGQUIT')
      const t = setTimeout(() => child.kill('SIGKILL'), 5000)
      await done
      clearTimeout(t)
    }
  }
}
