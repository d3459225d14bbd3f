// One app instance behind the router in the traffic bench (slots/blue or
// slots/green): a keep-alive HTTP server in its own process answering its
// name (after delay ms when given: the canary bench's slower release). Prints its port on stdout.
// Usage: node traffic-app.mjs <name> [delay-ms]
import { createServer } from 'node:http'

const name = process.argv[2] ?? 'app'
const delay = Number(process.argv[3] ?? 0)
const server = createServer((_req, res) => {
  const answer = () => {
    res.setHeader('content-type', 'text/plain')
    res.end(`${name}\n`)
  }
  if (delay > 0) setTimeout(answer, delay)
  else answer()
})
server.keepAliveTimeout = 65_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`)
})
process.on('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
