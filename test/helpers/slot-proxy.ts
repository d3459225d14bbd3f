// The blue-green and canary workflow tests' world: one sample-app instance per
// slot (serving <base>/slots/<name>) and a small proxy in front standing in for
// the router, sending each request to a slot drawn by the weights a
// router-command wrote to a file.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import { join } from 'node:path'

/** Starts `serve.mjs <base> 0 slots/<name>` of the sample project; resolves its port. */
export function startSlot(project: string, base: string, name: string, children: ChildProcess[]): Promise<number> {
  const app = spawn(process.execPath, [join(project, 'serve.mjs'), base, '0', `slots/${name}`], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  children.push(app)
  return new Promise((resolve, reject) => {
    app.stdout!.setEncoding('utf8').once('data', (d) => resolve(Number(String(d).trim())))
    app.once('exit', (c) => reject(new Error(`slot ${name} exited ${c}`)))
  })
}

/**
 * The router: each request to the slot the weights in `weightsFile` give it;
 * a slot `failing()` names answers 503 through it (a router misconfigured for it).
 */
export function startProxy(
  weightsFile: string,
  ports: Record<string, number>,
  failing: () => string = () => ''
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const weights = JSON.parse(readFileSync(weightsFile, 'utf8')) as Record<string, number>
    let r = Math.random() * 100
    const slot = Object.keys(weights).find((k) => (r -= weights[k]) < 0) ?? Object.keys(weights)[0]
    if (slot === failing()) return void res.writeHead(503).end('router: upstream misconfigured')
    const up = request({
      host: '127.0.0.1',
      port: ports[slot],
      path: req.url,
      method: req.method,
      headers: req.headers
    })
    up.on('response', (u) => {
      res.writeHead(u.statusCode ?? 502, u.headers)
      u.pipe(res)
    })
    up.on('error', () => res.writeHead(502).end())
    req.pipe(up)
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }))
  )
}
