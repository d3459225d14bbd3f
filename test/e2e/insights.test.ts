// insights through its bundle, on histories deploy-atomic's and auto-rollback's bundles wrote.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'

jest.setTimeout(120_000)

let root: string
let base: string

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-insights-'))
  base = join(root, 'app')
  for (const id of ['r1', 'r2', 'r3']) {
    const src = join(root, 'src', id)
    mkdirSync(src, { recursive: true })
    writeFileSync(join(src, 'index.html'), id)
    const r = await runAction('deploy-atomic', { inputs: { source: src, path: base, 'release-id': id } })
    if (r.code !== 0) throw new Error(`deploy ${id} failed: ${r.stdout}`)
  }
  const r = await runAction('auto-rollback', {
    inputs: { path: base, reason: 'error rate <img src=x onerror=alert(1)>' }
  })
  if (r.code !== 0) throw new Error(`rollback failed: ${r.stdout}`)
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('insights', () => {
  test('the archive holds every event the deploys and the rollback recorded', () => {
    expect(readdirSync(join(base, '.gantry', 'history')).filter((f) => f.endsWith('.jsonl'))).toHaveLength(1)
  })

  test('three deployments, one rolled back: the keys, the level and an escaped summary', async () => {
    const r = await runAction('insights', { inputs: { path: base } })
    expect(r.code).toBe(0)
    expect(Number(r.outputs['deployment-frequency'])).toBeCloseTo(3 / 30, 5)
    expect(Number(r.outputs['change-failure-rate'])).toBeCloseTo(1 / 3, 5)
    expect(Number(r.outputs['time-to-restore'])).toBeGreaterThanOrEqual(0)
    // No repository-path: lead time is unknown, not 0.
    expect(r.outputs['lead-time']).toBe('n/a')
    expect(r.outputs.level).toBe('low')
    expect(existsSync(r.outputs.report)).toBe(true)
    expect(r.summary).toContain('xychart-beta')
    expect(r.summary).toContain('error rate &lt;img src=x onerror=alert(1)&gt;')
    expect(r.summary).not.toContain('<img')
  })

  test('bad input: one line naming the input, nothing written', async () => {
    for (const [inputs, name] of [
      [{ path: base, window: '30x' }, 'window'],
      [{ environments: 'production' }, 'environments']
    ] as const) {
      const r = await runAction('insights', { inputs })
      expect(r.code).not.toBe(0)
      const errors = r.annotations.filter((a) => a.level === 'error').map((a) => a.message)
      expect(errors).toEqual([expect.stringContaining(`Input '${name}'`)])
      expect(r.outputs.report).toBeUndefined()
      expect(r.summary).toBe('')
    }
  })

  test('an unreadable history: one line naming the input', async () => {
    const bad = join(root, 'bad')
    mkdirSync(join(bad, '.gantry'), { recursive: true })
    writeFileSync(join(bad, '.gantry', 'history.json'), '{"version": 2}')
    const r = await runAction('insights', { inputs: { environments: `production=${bad}` } })
    expect(r.code).not.toBe(0)
    expect(r.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toEqual([
      expect.stringMatching(/^Input 'environments': .*history\.json/)
    ])
  })
})
