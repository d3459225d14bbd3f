#!/usr/bin/env node
// analysis (the canary judge, @gantry/analysis), in-process:
// 1. speed: Mann-Whitney U + the Hodges-Lehmann interval (classifyMetric, the
//    judge's whole path) on 2 × 50,000 lognormal points against SciPy 1.10's
//    `mannwhitneyu` alone on the same data (Debian's /usr/bin/python3, timed
//    inside python without its start-up), side by side in alternating blocks;
//    goal ≤ 2×;
// 2. power and false alarms, simulated: lognormal σ = 0.3, multiplicative
//    shift; ×1.2 detected ≥ 95% at 200 samples per variant per step (10,000
//    runs); equal distributions: abort rate of whole canary runs (3 judged
//    steps, up to 2 extensions whose points add up, one latency metric,
//    defaults confidence 0.98, tolerance 0.25, allowed-increase 1.0) ≤ 2%
//    (10,000 runs); the power curve for σ = 0.3, 0.5 and 1.0 and the samples
//    each needs for 95% power.
import './lib/ts-loader.mjs'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fmt, median, writeSection } from './lib/util.mjs'

const { classifyMetric, mannWhitneyU, scoreStep } = await import('@gantry/analysis')

const PYTHON = '/usr/bin/python3'
const N = 50_000
const BLOCKS = 5 // alternating node / python blocks
const REPS = 5 // timed calls per block
const RUNS = 10_000
const CURVE_RUNS = 2_000
const DEFAULTS = { direction: 'increase', tolerance: 0.25, confidence: 0.98, allowedIncrease: 1, minSamples: 50 }

const probe = spawnSync(PYTHON, ['-c', 'import scipy; print(scipy.__version__)'], { encoding: 'utf8' })
if (probe.status !== 0) {
  console.error(`bench analysis: ${PYTHON} cannot import scipy (apt-get install -y python3-scipy)`)
  process.exit(1)
}
const scipyVersion = probe.stdout.trim()

/** A seeded uniform generator (mulberry32) and lognormal draws from it (Box-Muller). */
function generator(seed) {
  let s = seed | 0
  const uniform = () => {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const lognormal = (n, sigma, scale = 1) =>
    Array.from(
      { length: n },
      () => scale * Math.exp(sigma * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()))
    )
  return { uniform, lognormal }
}

// 1. Speed.
const gen = generator(1)
const baseline = gen.lognormal(N, 0.3, 100)
const canary = gen.lognormal(N, 0.3, 102)
const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-analysis-'))
writeFileSync(join(dir, 'x.f64'), Buffer.from(Float64Array.from(canary).buffer))
writeFileSync(join(dir, 'y.f64'), Buffer.from(Float64Array.from(baseline).buffer))
const pyScript = `
import json, sys, time
import numpy as np
from scipy.stats import mannwhitneyu
x = np.fromfile(sys.argv[1], dtype=np.float64)
y = np.fromfile(sys.argv[2], dtype=np.float64)
r = mannwhitneyu(x, y, alternative='two-sided')  # warm-up
times = []
for _ in range(int(sys.argv[3])):
    t = time.perf_counter()
    r = mannwhitneyu(x, y, alternative='two-sided')
    times.append((time.perf_counter() - t) * 1000)
print(json.dumps({'times': times, 'u': float(r.statistic), 'p': float(r.pvalue)}))
`
const ours = { judge: [], mwu: [] }
const theirs = []
let scipyResult
let judged
classifyMetric({ canary, baseline, ...DEFAULTS }) // warm-up
for (let b = 0; b < BLOCKS; b++) {
  for (let r = 0; r < REPS; r++) {
    let t = performance.now()
    judged = classifyMetric({ canary, baseline, ...DEFAULTS })
    ours.judge.push(performance.now() - t)
    t = performance.now()
    mannWhitneyU(canary, baseline, { alternative: 'two-sided' })
    ours.mwu.push(performance.now() - t)
  }
  const py = spawnSync(PYTHON, ['-c', pyScript, join(dir, 'x.f64'), join(dir, 'y.f64'), String(REPS)], {
    encoding: 'utf8'
  })
  if (py.status !== 0) throw new Error(`bench analysis: python failed: ${py.stderr}`)
  scipyResult = JSON.parse(py.stdout)
  theirs.push(...scipyResult.times)
}
rmSync(dir, { recursive: true, force: true })
const agree = judged.u === scipyResult.u && Math.abs(judged.p - scipyResult.p) <= Math.max(1e-12, 1e-9 * scipyResult.p)
if (!agree)
  throw new Error(`bench analysis: U/p differ from SciPy: ${judged.u}/${judged.p} vs ${scipyResult.u}/${scipyResult.p}`)
const tJudge = median(ours.judge)
const tMwu = median(ours.mwu)
const tScipy = median(theirs)
const speedRatio = tJudge / tScipy

// 2. Power and false alarms.
/** The share of runs in which one judged window of n points per variant fails the metric. */
function detection(sigma, factor, n, runs, seed) {
  const g = generator(seed)
  let failed = 0
  for (let r = 0; r < runs; r++) {
    const b = g.lognormal(n, sigma)
    const c = g.lognormal(n, sigma, factor)
    if (classifyMetric({ canary: c, baseline: b, ...DEFAULTS }).failed) failed++
  }
  return failed / runs
}

/** Whole canary runs on equal distributions: 3 judged steps, each a bake and up to 2 extensions whose points add up. */
function abortRate(sigma, n, runs, seed) {
  const g = generator(seed)
  let aborted = 0
  let extended = 0
  for (let r = 0; r < runs; r++) {
    let abort = false
    for (let step = 0; step < 3 && !abort; step++) {
      const b = []
      const c = []
      for (let window = 0; window <= 2; window++) {
        b.push(...g.lognormal(n, sigma))
        c.push(...g.lognormal(n, sigma))
        const m = classifyMetric({ canary: c, baseline: b, ...DEFAULTS })
        const v = scoreStep([{ name: 'latency', weight: 1, critical: false, ...m }], {
          passScore: 95,
          marginalScore: 75
        })
        if (v.verdict === 'pass') break
        if (v.verdict === 'fail' || window === 2) {
          abort = true // on-inconclusive: extend, then inconclusive also stops the canary
          break
        }
        extended++
      }
    }
    if (abort) aborted++
  }
  return { rate: aborted / runs, extended }
}

const t0 = performance.now()
const power = detection(0.3, 1.2, 200, RUNS, 11)
const falseAlarmWindow = detection(0.3, 1, 200, RUNS, 12)
const aborts = abortRate(0.3, 200, RUNS, 13)
const simSeconds = (performance.now() - t0) / 1000

const SIZES = [25, 50, 100, 200, 400, 800, 1600, 3200, 6400]
const curves = {}
const need = {}
for (const sigma of [0.3, 0.5, 1.0]) {
  curves[sigma] = []
  for (const n of SIZES) {
    const p = detection(sigma, 1.2, n, CURVE_RUNS, 100 + n)
    curves[sigma].push(p)
    if (p >= 0.95) break
  }
  // The fewest samples for 95%: bisect between the last grid size below and the first at or above.
  const i = curves[sigma].findIndex((p) => p >= 0.95)
  if (i < 0) need[sigma] = `> ${SIZES.at(-1)}`
  else if (i === 0) need[sigma] = `≤ ${SIZES[0]}`
  else {
    let lo = SIZES[i - 1]
    let hi = SIZES[i]
    while (hi - lo > Math.max(5, hi * 0.05)) {
      const mid = Math.round((lo + hi) / 2)
      if (detection(sigma, 1.2, mid, CURVE_RUNS, 7 + mid) >= 0.95) hi = mid
      else lo = mid
    }
    need[sigma] = `${hi}`
  }
}

const met = (ok) => (ok ? '**met**' : '**not met**')
const cell = (sigma, n) => {
  const i = SIZES.indexOf(n)
  const p = curves[sigma][i]
  return p === undefined ? '—' : `${fmt(p * 100, 1)}%`
}
writeSection(
  'analysis',
  `## analysis

### Judge speed: 2 × ${N.toLocaleString('en')} lognormal points, median of ${BLOCKS * REPS} calls, in-process (${BLOCKS} alternating blocks)

| what | time | ratio to SciPy |
| --- | --- | --- |
| SciPy ${scipyVersion} \`mannwhitneyu\` (two-sided, timed inside python) | ${fmt(tScipy, 1)} ms | 1.00 |
| @gantry/analysis \`mannWhitneyU\` alone | ${fmt(tMwu, 1)} ms | ${fmt(tMwu / tScipy, 2)} |
| @gantry/analysis \`classifyMetric\` (Mann-Whitney U + Hodges-Lehmann shift and 98% interval by selection, means, medians) | ${fmt(tJudge, 1)} ms | ${fmt(speedRatio, 2)} |

U and p agree with SciPy's (U = ${scipyResult.u}, p = ${scipyResult.p.toExponential(3)}). Goal: the judge ≤ 2× SciPy's test alone — ${met(speedRatio <= 2)}.

### Power and false alarms, simulated (lognormal σ = 0.3, defaults: confidence 0.98, tolerance 0.25, allowed-increase 1.0, direction increase)

| scenario | runs | rate | goal |
| --- | --- | --- | --- |
| ×1.2 slower canary detected, 200 samples per variant, one step | ${RUNS.toLocaleString('en')} | ${fmt(power * 100, 2)}% | ≥ 95% — ${met(power >= 0.95)} |
| equal distributions, one judged window fails | ${RUNS.toLocaleString('en')} | ${fmt(falseAlarmWindow * 100, 2)}% | — |
| equal distributions, whole canary run aborted (3 judged steps, up to 2 extensions, 200 samples per window) | ${RUNS.toLocaleString('en')} | ${fmt(aborts.rate * 100, 2)}% | ≤ 2% — ${met(aborts.rate <= 0.02)} |

With one metric a step scores 100 or 0, so it never comes out inconclusive and no extension ran (${aborts.extended} extensions); the abort rate is that of three independent judged steps. The simulations took ${fmt(simSeconds, 1)} s.

### Power curve: ×1.2 shift detected, by samples per variant (${CURVE_RUNS.toLocaleString('en')} runs a point; the curve stops at the first size ≥ 95%)

| σ | ${SIZES.join(' | ')} | samples for 95% |
| --- | ${SIZES.map(() => '---').join(' | ')} | --- |
${[0.3, 0.5, 1.0].map((s) => `| ${s} | ${SIZES.map((n) => cell(s, n)).join(' | ')} | ${need[s]} |`).join('\n')}

"Samples for 95%" bisects between the grid sizes (${CURVE_RUNS.toLocaleString('en')} runs a probe, to within 5%). 25 samples are below the default min-samples (50): such a window is \`nodata\`, never a detection.`
)
