// A response body with control characters (NUL, ESC) in smoke-test's summary:
// written as \xNN, never as the raw bytes (they end C strings and drive terminals;
// the demo prints summaries).
import { afterAll, expect, test } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { startServer } from '../helpers/http.js'

const ws = mkdtempSync(join(tmpdir(), 'gantry-smoke-controls-'))
afterAll(() => rmSync(ws, { recursive: true, force: true }))

test('NUL and ESC from a body appear as \\x00 and \\x1b in the summary, table and details alike', async () => {
  const s = await startServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain' }).end('a\u0000b\u001b[31mred')
  )
  try {
    writeFileSync(
      join(ws, 'spec.yml'),
      'checks:\n  - name: controls\n    request:\n      url: /\n    expect:\n      body-matches: ^nothing-like-it$\n'
    )
    const r = await runAction('smoke-test', {
      inputs: { spec: 'spec.yml', 'base-url': s.url },
      workspace: ws,
      post: false
    })
    expect(r.code).toBe(1)
    // eslint-disable-next-line no-control-regex
    expect(r.summary).not.toMatch(/[\u0000\u001b]/)
    expect(r.summary).toContain('a\\x00b\\x1b[31mred')
  } finally {
    await s.close()
  }
})
