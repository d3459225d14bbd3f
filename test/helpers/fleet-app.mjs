#!/usr/bin/env node
// A fleet host's app instance (test/helpers/fleet.ts starts one per host, in
// the host's network and mount namespaces): serves whatever release
// `<base>/current` names, re-resolving the symlink on every request like
// examples/app/serve.mjs, so an atomic switch of `current` is a deploy with no
// restart. Usage: node fleet-app.mjs <base-dir> <address> <port> <host-name>
//   /healthz  200 when `<current>/HEALTHY` exists, else 503 (no current: no release yet)
//   /         {"host": <host-name>, "release": basename of realpath(current)}, 503 with release null when none
// Prints `listening` on stdout once it is.
import { createServer } from 'node:http'
import { access, realpath } from 'node:fs/promises'
import { basename, join } from 'node:path'

const [base, address, port, host] = process.argv.slice(2)
if (!base || !address || !port || !host) {
  console.error('usage: node fleet-app.mjs <base-dir> <address> <port> <host-name>')
  process.exit(2)
}

const current = () =>
  realpath(join(base, 'current')).then(
    (p) => p,
    () => null
  )

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? '/', 'http://app')
    const release = await current()
    if (url.pathname === '/healthz') {
      const ok =
        release !== null &&
        (await access(join(release, 'HEALTHY')).then(
          () => true,
          () => false
        ))
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'unhealthy\n')
      return
    }
    if (url.pathname === '/') {
      const body = JSON.stringify({ host, release: release && basename(release) })
      res.writeHead(release ? 200 : 503, { 'content-type': 'application/json' }).end(body)
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
  } catch {
    if (res.headersSent) return void res.destroy()
    res.writeHead(500, { 'content-type': 'text/plain' }).end('error\n')
  }
})
server.keepAliveTimeout = 30_000
server.listen(Number(port), address, () => process.stdout.write('listening\n'))
for (const sig of ['SIGTERM', 'SIGINT'])
  process.on(sig, () => {
    server.closeAllConnections()
    server.close(() => process.exit(0))
  })
