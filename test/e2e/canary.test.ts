// The canary action through its bundle, as the runner runs it, with the probe
// source against two real HTTP servers on 127.0.0.1 and a router-command that
// writes the weights to a file: an equal canary is promoted step by step; a
// slower one is aborted at the first judged step, all traffic back on the
// baseline and its slot's release marked bad; one that answers 500 is stopped
// by the guard within a guard-interval; too few points extend the step
// instead of failing it; bad inputs are one line and nothing moves.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { writeFiles } from '../helpers/git-tree.js'
import { startServer, type TestServer } from '../helpers/http.js'
import { lbCommand } from '../helpers/lb-command.js'

jest.setTimeout(120_000)

let root: string
let base: string
let lbFile: string
let servers: TestServer[] = []

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-canary-'))
  base = join(root, 'app')
  lbFile = join(root, 'lb.json')
})
afterEach(async () => {
  for (const s of servers) await s.close()
  servers = []
  rmSync(root, { recursive: true, force: true })
})

/** Box-Muller: a standard normal from two uniforms. */
const normal = () => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random())

/**
 * An app instance answering with `status` after a lognormal time of median `delayMs` and σ 0.3, as
 * real latency varies: with near-constant answers the judge would be testing the machine's
 * scheduling noise.
 */
async function app(delayMs: number, status = 200): Promise<string> {
  const s = await startServer(async (_req, res) => {
    await new Promise((r) => setTimeout(r, delayMs * Math.exp(0.3 * normal())))
    res.writeHead(status, { 'content-type': 'text/plain' }).end('ok')
  })
  servers.push(s)
  return `${s.url}/`
}

const router = () => ({
  router: 'command',
  upstream: 'app',
  servers: 'blue=blue\ngreen=green',
  'router-command': lbCommand(root, lbFile)
})

async function canary(inputs: Record<string, string>) {
  return runAction('canary', {
    inputs: {
      ...router(),
      'baseline-server': 'blue',
      'canary-server': 'green',
      steps: '10%,50%,100%',
      bake: '1s',
      requests: '60',
      'min-samples': '30',
      'guard-interval': '250ms',
      path: base,
      ...inputs
    }
  })
}

const changes = () =>
  (
    JSON.parse(readFileSync(join(base, '.gantry', 'traffic.json'), 'utf8')) as {
      changes: { weights: Record<string, number>; reason?: string }[]
    }
  ).changes
const report = (r: { outputs: Record<string, string> }) =>
  JSON.parse(readFileSync(r.outputs.report, 'utf8')) as {
    verdict: string
    abortMs: number | null
    steps: Array<{
      outcome: string
      judgements: Array<{ verdict: string; score: number; metrics: Array<{ name: string; classification: string }> }>
    }>
  }
const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)

async function deploySlots() {
  const src = (id: string) => writeFiles(join(root, 'src', id), { 'index.html': id })
  for (const [id, slot] of [
    ['r1', 'blue'],
    ['r2', 'green']
  ]) {
    const r = await runAction('deploy-atomic', { inputs: { source: src(id), path: base, 'release-id': id, slot } })
    expect(r.code).toBe(0)
  }
}

describe('canary (probe source, command router)', () => {
  test('a canary equal to the baseline is promoted: 10%, 50%, then 100%, each change recorded', async () => {
    const r = await canary({ 'baseline-url': await app(2), 'canary-url': await app(2) })
    expect({ code: r.code, errors: errors(r) }).toEqual({ code: 0, errors: [] })
    expect(r.outputs).toMatchObject({ verdict: 'promoted', 'failed-step': '' })
    expect(changes().map((c) => c.weights)).toEqual([
      { blue: 90, green: 10 },
      { blue: 50, green: 50 },
      { blue: 0, green: 100 }
    ])
    expect(JSON.parse(readFileSync(lbFile, 'utf8'))).toEqual({ blue: 0, green: 100 })
    const rep = report(r)
    expect(rep.steps.map((s) => s.outcome)).toEqual(['passed', 'passed', 'promoted'])
    expect(rep.steps[0].judgements[0].metrics.map((m) => [m.name, m.classification])).toEqual([
      ['latency', 'pass'],
      ['error-rate', 'pass']
    ])
    expect(r.summary).toContain('✅ **promoted**')
    expect(r.summary).toContain('xychart-beta')
  })

  test('a canary 40% slower is aborted at the first or second judged step: traffic back, its release marked bad', async () => {
    await deploySlots()
    const r = await canary({ 'baseline-url': await app(25), 'canary-url': await app(35) })
    expect(r.code).toBe(1)
    const step = Number(r.outputs['failed-step'])
    expect([1, 2]).toContain(step)
    expect(errors(r)).toEqual([expect.stringMatching(/^canary aborted: step [12] \((10|50)%\) failed its judgement/)])
    expect(r.outputs.verdict).toBe('aborted')
    const moves = [{ blue: 90, green: 10 }, ...(step === 2 ? [{ blue: 50, green: 50 }] : [])]
    expect(changes().map((c) => c.weights)).toEqual([...moves, { blue: 100, green: 0 }])
    expect(JSON.parse(readFileSync(lbFile, 'utf8'))).toEqual({ blue: 100, green: 0 })
    const rep = report(r)
    expect(rep.steps[step - 1].judgements[0].metrics[0]).toMatchObject({ name: 'latency', classification: 'high' })
    expect(rep.abortMs).toEqual(expect.any(Number))
    const h = JSON.parse(readFileSync(join(base, '.gantry', 'history.json'), 'utf8')) as {
      releases: { id: string; status: string }[]
    }
    expect(h.releases.find((x) => x.id === 'r2')?.status).toBe('bad')
    expect(h.releases.find((x) => x.id === 'r1')?.status).not.toBe('bad')
    expect(r.summary).toContain('release r2 of slot green marked bad')
  })

  test('a canary that answers 500 is stopped by the guard within a guard-interval, before any judgement', async () => {
    const r = await canary({ 'baseline-url': await app(1), 'canary-url': await app(1, 500), bake: '5s' })
    expect(r.code).toBe(1)
    expect(r.outputs).toMatchObject({ verdict: 'aborted', 'failed-step': '1' })
    const rep = report(r)
    expect(rep.steps[0]).toMatchObject({ outcome: 'guard', judgements: [] })
    expect(errors(r)[0]).toMatch(/the guard tripped: the canary's last \d+ responses: error rate 100%/)
    expect(changes().at(-1)!.weights).toEqual({ blue: 100, green: 0 })
  })

  test('too few points are no data: the step is extended (the points add up), then judged, not failed', async () => {
    const r = await canary({
      'baseline-url': await app(2),
      'canary-url': await app(2),
      steps: '10%,100%',
      requests: '20',
      'min-samples': '40'
    })
    expect({ code: r.code, errors: errors(r) }).toEqual({ code: 0, errors: [] })
    const rep = report(r)
    expect(rep.steps[0].judgements.map((j) => j.verdict)).toEqual(['inconclusive', 'pass'])
    expect(rep.steps[0].judgements[0].metrics.map((m) => m.classification)).toEqual(['nodata', 'nodata'])
    expect(r.outputs.verdict).toBe('promoted')
  })

  test.each([
    [{ steps: '50%,25%,100%' }, "Input 'steps' has invalid value '50%,25%,100%'"],
    [{ steps: '10%,50%' }, "Input 'steps' has invalid value '10%,50%'"],
    [{ 'min-samples': '0' }, "Input 'min-samples' has invalid value '0'"],
    [{ confidence: '1' }, "Input 'confidence' has invalid value '1'"],
    [{ 'canary-server': 'blue' }, "Input 'canary-server' has invalid value 'blue'"],
    [{ 'canary-server': 'red' }, "Input 'canary-server' has invalid value 'red'"],
    [{ 'canary-url': '' }, "Input 'canary-url' is required when analysis is probe"],
    [{ requests: '10', 'min-samples': '50' }, "Input 'requests' has invalid value '10'"]
  ])('bad input %o: one line naming the input, nothing moved', async (bad, line) => {
    const r = await canary({ 'baseline-url': 'http://127.0.0.1:9/', 'canary-url': 'http://127.0.0.1:8/', ...bad })
    expect(r.code).toBe(1)
    const e = errors(r)
    expect(e).toHaveLength(1)
    expect(e[0].startsWith(line)).toBe(true)
    expect(e[0]).not.toContain('\n')
    expect(existsSync(lbFile)).toBe(false)
    expect(existsSync(join(base, '.gantry', 'traffic.json'))).toBe(false)
  })
})
