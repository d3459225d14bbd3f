#!/usr/bin/env node
// The sample app's server: serves whatever release `<base>/current` names,
// re-resolving the symlink on every request, so an atomic switch of `current`
// is a deploy with no restart. Usage: node serve.mjs <base-dir> [port] [link]
// (link: `current`, or `slots/blue` for a blue-green slot's instance)
// Prints the port on stdout once listening (port 0 picks a free one).
//   /healthz      200 "ok" when the release has a HEALTHY marker, else 503
//   /api/version  the release's version.json
//   anything else a file under the release's public/ (after SLOW_MS ms when the release has that file)
import { createServer } from 'node:http'
import { readFile, realpath } from 'node:fs/promises'
import { join, normalize, sep } from 'node:path'

const [base, port = '0', link = 'current'] = process.argv.slice(2)
if (!base) {
  console.error('usage: node serve.mjs <base-dir> [port]')
  process.exit(2)
}
const types = { '.html': 'text/html; charset=utf-8', '.json': 'application/json', '.css': 'text/css' }

const server = createServer(async (req, res) => {
  try {
    const release = await realpath(join(base, link))
    const url = new URL(req.url ?? '/', 'http://app')
    if (url.pathname === '/healthz') {
      const ok = await readFile(join(release, 'HEALTHY')).then(
        () => true,
        () => false
      )
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok' : 'unhealthy')
      return
    }
    const slow = Number(await readFile(join(release, 'SLOW_MS'), 'utf8').catch(() => '0'))
    if (slow > 0) await new Promise((r) => setTimeout(r, slow))
    if (url.pathname === '/api/version') {
      const body = await readFile(join(release, 'version.json'))
      res.writeHead(200, { 'content-type': 'application/json' }).end(body)
      return
    }
    const rel = normalize(url.pathname === '/' ? '/index.html' : url.pathname)
    const file = join(release, 'public', rel)
    if (!file.startsWith(join(release, 'public') + sep)) throw Object.assign(new Error('outside'), { code: 'ENOENT' })
    const ext = file.slice(file.lastIndexOf('.'))
    // Read first, then answer: writeHead before the read failed sent a 200 and then died on the 404.
    const body = await readFile(file)
    res.writeHead(200, { 'content-type': types[ext] ?? 'application/octet-stream' }).end(body)
  } catch (e) {
    const missing = e && (e.code === 'ENOENT' || e.code === 'ENOTDIR' || e.code === 'EISDIR')
    if (res.headersSent) return void res.destroy()
    res.writeHead(missing ? 404 : 500, { 'content-type': 'text/plain' }).end(missing ? 'not found' : 'error')
  }
})
server.keepAliveTimeout = 30_000
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`))
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)))
