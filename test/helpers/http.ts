// Node HTTP servers on 127.0.0.1 for tests: started on a free port, stopped
// (with every open connection) by close().
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect, type AddressInfo } from 'node:net'

export interface TestServer {
  url: string
  port: number
  server: Server
  /** Requests seen so far. */
  hits: number
  close(): Promise<void>
}

export type Handler = (req: IncomingMessage, res: ServerResponse, hit: number) => unknown

export async function startServer(handler: Handler): Promise<TestServer> {
  const state = { hits: 0 }
  const server = createServer((req, res) => {
    const hit = ++state.hits
    Promise.resolve(handler(req, res, hit)).catch((e) => {
      res.statusCode = 599
      res.end(String(e))
    })
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    get hits() {
      return state.hits
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** A port with nothing listening (bound, then released). */
export async function freePort(): Promise<number> {
  const s = await startServer(() => undefined)
  const port = s.port
  await s.close()
  return port
}

/** Reads a request body as text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Waits for a condition with a bound, polling; never a bare sleep. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition'
): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** True when something accepts TCP connections on host:port (127.0.0.1 unless told). */
export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host)
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}
