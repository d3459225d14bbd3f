// The sample app's server (examples/app/serve.mjs): a missing file is a 404
// and the server keeps serving. Before, it wrote a 200 head before reading the
// file, then died on ERR_HTTP_HEADERS_SENT: a browser's favicon request killed the demo.
import { afterEach, describe, expect, test } from '@jest/globals'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from '../harness/runner.mjs'

let child: ChildProcess | undefined
let dir: string | undefined
afterEach(() => {
  child?.kill('SIGKILL')
  child = undefined
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function serve(): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'gantry-serve-'))
  const release = join(dir, 'releases', 'v1')
  mkdirSync(join(release, 'public', 'sub'), { recursive: true })
  writeFileSync(join(release, 'public', 'index.html'), '<h1>v1</h1>')
  writeFileSync(join(release, 'version.json'), '{"version":"v1"}')
  symlinkSync('releases/v1', join(dir, 'current'))
  child = spawn(process.execPath, [join(repoRoot, 'examples', 'app', 'serve.mjs'), dir, '0'], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve.mjs did not start within 10 s')), 10_000)
    child!.stdout!.once('data', (d: Buffer) => {
      clearTimeout(timer)
      resolve(String(d).trim())
    })
  })
  return `http://127.0.0.1:${port}`
}

describe('examples/app/serve.mjs', () => {
  test('a missing file is a 404, and the server keeps serving', async () => {
    const url = await serve()
    for (const missing of ['/favicon.ico', '/nope/deeper.css', '/sub', '/index.html/x']) {
      const r = await fetch(`${url}${missing}`)
      expect([missing, r.status, await r.text()]).toEqual([missing, 404, 'not found'])
    }
    const home = await fetch(`${url}/`)
    expect(home.status).toBe(200)
    expect(await home.text()).toBe('<h1>v1</h1>')
    const version = await fetch(`${url}/api/version`)
    expect(await version.json()).toEqual({ version: 'v1' })
    expect(child?.exitCode).toBeNull()
  })

  test('a missing version.json is a 404 too', async () => {
    const url = await serve()
    rmSync(join(dir!, 'releases', 'v1', 'version.json'))
    expect((await fetch(`${url}/api/version`)).status).toBe(404)
    expect((await fetch(`${url}/`)).status).toBe(200)
  })
})
