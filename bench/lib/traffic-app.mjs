// One app instance behind the router in the traffic bench (slots/blue or
// slots/green): a keep-alive HTTP server in its own process answering its
// name. Prints its port on stdout.
import { createServer } from 'node:http'

const name = process.argv[2] ?? 'app'
const server = createServer((_req, res) => {
  res.setHeader('content-type', 'text/plain')
  res.end(`${name}\n`)
})
server.keepAliveTimeout = 65_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`)
})
process.on('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
