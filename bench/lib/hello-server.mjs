// A minimal keep-alive HTTP server in its own process, so a benchmark's
// clients do not share its event loop. Prints its port on stdout.
import { createServer } from 'node:http'

const server = createServer((_req, res) => {
  res.setHeader('content-type', 'text/plain')
  res.end('ok')
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
