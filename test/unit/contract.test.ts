// The public contract: every action.yml declares exactly the names the code
// uses (its own inputs in packages/core/src/names.ts, plus the inputs of the
// kinds it registers, spread into its schema), and each action's input schema
// covers exactly those inputs.
import { describe, expect, test } from '@jest/globals'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ActionNames, Names, parseDuration, parseRate } from '@gantry/core'
import { GATE_DEFAULTS } from '@gantry/probe'
import { TRAFFIC_TIMEOUT_MS } from '@gantry/traffic'
import { loadActionYml, repoRoot } from '../harness/runner.mjs'

describe.each(ActionNames)('%s', (name) => {
  const meta = loadActionYml(name)
  const dir = join(repoRoot, 'actions', name)

  test('declares its own inputs in the registered order', () => {
    const own: readonly string[] = Names[name].inputs
    expect(Object.keys(meta.inputs ?? {}).filter((k) => own.includes(k))).toEqual([...own])
  })

  test('declares exactly the registered outputs, in order', () => {
    expect(Object.keys(meta.outputs ?? {})).toEqual([...Names[name].outputs])
  })

  test('every input is described, says whether it is required, and optional ones have a default', () => {
    for (const [key, def] of Object.entries(meta.inputs ?? {})) {
      expect({ key, described: typeof def.description === 'string' && def.description.length > 10 }).toEqual({
        key,
        described: true
      })
      expect({ key, required: typeof def.required }).toEqual({ key, required: 'boolean' })
      if (!def.required) expect({ key, hasDefault: typeof def.default }).toEqual({ key, hasDefault: 'string' })
    }
    for (const [key, def] of Object.entries(meta.outputs ?? {})) {
      expect({ key, described: (def.description ?? '').length > 5 }).toEqual({ key, described: true })
    }
  })

  test('runs the committed bundle on node24, with branding and a README', () => {
    expect(meta.runs.using).toBe('node24')
    expect(meta.runs.main).toBe(`../../dist/${name}/index.js`)
    if (meta.runs.post) expect(meta.runs.post).toBe(`../../dist/${name}/index.js`)
    expect(meta.branding?.icon).toBeTruthy()
    expect(existsSync(join(dir, 'README.md'))).toBe(true)
    // GANTRY_DIST_DIR: bundles built elsewhere (as the harness runs them), for work that must not touch dist/.
    expect(existsSync(join(process.env.GANTRY_DIST_DIR || join(repoRoot, 'dist'), name, 'index.js'))).toBe(true)
  })

  test('the input schema the code parses covers exactly the declared inputs', async () => {
    const mod = (await import(join(dir, 'src', 'inputs.ts'))) as { inputs: Record<string, unknown> }
    expect(Object.keys(mod.inputs).sort()).toEqual(Object.keys(meta.inputs ?? {}).sort())
  })

  test('its README documents every input and output', () => {
    const readme = readFileSync(join(dir, 'README.md'), 'utf8')
    for (const key of [...Object.keys(meta.inputs ?? {}), ...Object.keys(meta.outputs ?? {})])
      expect({ key, documented: readme.includes(`\`${key}\``) }).toEqual({ key, documented: true })
  })

  test('main.ts is a thin adapter exporting run()', () => {
    const main = readFileSync(join(dir, 'src', 'main.ts'), 'utf8')
    expect(main).toMatch(/export async function run\(\): Promise<void>/)
    expect(main).toContain('runAction(')
  })
})

// Defaults code uses without the input that carries them live once, in code, and equal the action.yml's.
describe('defaults shared with code', () => {
  const def = (action: string, input: string) => loadActionYml(action).inputs?.[input]?.default ?? ''
  test("traffic's timeout is TRAFFIC_TIMEOUT_MS (auto-rollback's slot traffic, deploy-atomic's rolling)", () => {
    expect(parseDuration(def('traffic', 'timeout'))).toBe(TRAFFIC_TIMEOUT_MS)
  })
  test("health-gate's fixed policy is GATE_DEFAULTS (deploy-atomic's rolling host gates)", () => {
    expect({
      timeoutMs: parseDuration(def('health-gate', 'timeout')),
      threshold: Number(def('health-gate', 'healthy-threshold')),
      concurrency: Number(def('health-gate', 'concurrency')),
      maxErrorRate: parseRate(def('health-gate', 'max-error-rate')),
      maxLatencyRatio: Number(def('health-gate', 'max-latency-ratio'))
    }).toEqual(GATE_DEFAULTS)
  })
})
