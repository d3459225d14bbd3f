// Zero downtime: nginx from Debian serves <path>/current on 127.0.0.1 under
// autocannon load while the shipped bundles run 20 alternating deploys and
// rollbacks. Every request must succeed (no non-2xx, no errors, no timeouts),
// and the answers must actually change from release to release.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { runAction } from '../harness/runner.mjs'
import { startNginx, type Nginx } from '../helpers/nginx.js'

jest.setTimeout(300_000)

// autocannon ships no types; this is the part of its API the test uses.
interface CannonInstance {
  stop(): void
}
type Cannon = (
  opts: { url: string; connections: number; duration: number; timeout: number },
  done: (err: Error | null, result: CannonResult) => void
) => CannonInstance
const autocannon = createRequire(import.meta.url)('autocannon') as Cannon

let root: string
let base: string
let nginx: Nginx

function source(n: number): string {
  const dir = join(root, 'src', String(n))
  mkdirSync(join(dir, 'assets'), { recursive: true })
  writeFileSync(join(dir, 'index.html'), `release ${n}\n`)
  // Unchanged between releases: hard-linked, so the switch changes only what differs.
  writeFileSync(join(dir, 'assets', 'app.js'), 'x'.repeat(20_000))
  for (let i = 0; i < 50; i++) writeFileSync(join(dir, 'assets', `part${i}.css`), `.p${i}{}`)
  return dir
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gantry-system-deploy-'))
  base = join(root, 'app')
  const first = await runAction('deploy-atomic', { inputs: { source: source(0), path: base, 'release-id': 'r0' } })
  if (first.code !== 0) throw new Error(first.stdout)
  // nginx resolves the symlink per request (no open_file_cache), so each request sees one release.
  nginx = await startNginx(`
    root ${base}/current;
    disable_symlinks off;
    location / { try_files $uri =404; }
  `)
})
afterAll(async () => {
  await nginx?.stop()
  rmSync(root, { recursive: true, force: true })
})

interface CannonResult {
  requests: { total: number }
  non2xx: number
  errors: number
  timeouts: number
  statusCodeStats: Record<string, { count: number }>
}

describe('deploy-atomic + auto-rollback under load (nginx)', () => {
  test('20 alternating deploys and rollbacks: 0 failed requests', async () => {
    let done = false
    const load = new Promise<CannonResult>((resolve, reject) => {
      const instance = autocannon(
        {
          url: `${nginx.url}/index.html`,
          connections: 8,
          duration: 240, // a bound; stopped as soon as the deploys are done
          timeout: 10
        },
        (err: Error | null, result: CannonResult) => (err ? reject(err) : resolve(result))
      )
      const check = setInterval(() => {
        if (done) {
          clearInterval(check)
          instance.stop()
        }
      }, 50)
    })

    // A second client reads the bodies, to see the releases change under the load.
    const bodies = new Map<string, number>()
    const failures: string[] = []
    const reader = (async () => {
      while (!done) {
        try {
          const res = await fetch(`${nginx.url}/index.html`, { signal: AbortSignal.timeout(10_000) })
          const text = await res.text()
          if (res.status !== 200) failures.push(`HTTP ${res.status}`)
          bodies.set(text.trim(), (bodies.get(text.trim()) ?? 0) + 1)
        } catch (e) {
          failures.push(String(e))
        }
      }
    })()

    const switches: string[] = []
    try {
      for (let n = 1; n <= 10; n++) {
        const d = await runAction('deploy-atomic', {
          inputs: { source: source(n), path: base, 'release-id': `r${n}`, keep: 4 }
        })
        expect({ step: `deploy r${n}`, code: d.code }).toEqual({ step: `deploy r${n}`, code: 0 })
        switches.push(readlinkSync(join(base, 'current')))
        const r = await runAction('auto-rollback', {
          inputs: { path: base, reason: `drill ${n}`, 'health-url': `${nginx.url}/index.html` }
        })
        expect({ step: `rollback ${n}`, code: r.code, rolled: r.outputs['rolled-back'] }).toEqual({
          step: `rollback ${n}`,
          code: 0,
          rolled: 'true'
        })
        switches.push(readlinkSync(join(base, 'current')))
      }
    } finally {
      done = true
    }
    const result = await load
    await reader

    // Every rollback went back to r0, the only release never marked bad.
    expect(switches.filter((_, i) => i % 2 === 1)).toEqual(Array(10).fill('releases/r0'))
    expect(result.requests.total).toBeGreaterThan(1000)
    expect({ non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts }).toEqual({
      non2xx: 0,
      errors: 0,
      timeouts: 0
    })
    expect(failures).toEqual([])
    expect(bodies.size).toBeGreaterThanOrEqual(3)
    expect([...bodies.keys()].every((b) => /^release \d+$/.test(b))).toBe(true)
  })
})
