// health-gate's shipped bundle against nginx from Debian: a static health
// file, and a proxy whose upstream is down (nginx answers 502).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { freePort } from '../helpers/http.js'
import { startNginx, type Nginx } from '../helpers/nginx.js'

let nginx: Nginx

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'gantry-site-'))
  writeFileSync(join(root, 'healthz'), 'ok\n')
  const deadPort = await freePort()
  nginx = await startNginx(`
    root ${root};
    location /healthz { default_type text/plain; }
    location /api/ { proxy_pass http://127.0.0.1:${deadPort}/; }
  `)
})
afterAll(async () => {
  await nginx?.stop()
})

describe('health-gate against nginx', () => {
  test('a healthy static endpoint passes with measured latency', async () => {
    const r = await runAction('health-gate', {
      inputs: { url: `${nginx.url}/healthz`, interval: '100ms', samples: '50', concurrency: '8', 'expect-body': '^ok' }
    })
    expect(r.code).toBe(0)
    expect(r.outputs.healthy).toBe('true')
    expect(r.outputs['error-rate']).toBe('0')
    expect(Number(r.outputs.p99)).toBeGreaterThan(0)
  })

  test('a proxy to a dead upstream fails with nginx’s 502', async () => {
    const r = await runAction('health-gate', {
      inputs: { url: `${nginx.url}/api/health`, interval: '100ms', 'max-wait': '1s' }
    })
    expect(r.code).toBe(1)
    expect(r.annotations[0]?.message).toMatch(/: status 502 \(expected 200-399\)$/)
  })
})
