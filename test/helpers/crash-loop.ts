// The kill -9 loop the crash tests share: redeploy again and again, SIGKILL
// each run at a random point of its expected length, and check the invariant
// after every run, killed or not.
import { expect } from '@jest/globals'
import type { ChildProcess } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import type { RunResult } from '../harness/runner.mjs'

export interface CrashLoop {
  runs: number
  /** Changes the source before run n (n = -1: the timed warm-up), so that each release differs. */
  change: (n: number) => void
  /** One deploy of run n; onSpawn arms the kill. */
  deploy: (n: number, onSpawn?: (child: ChildProcess) => void) => Promise<RunResult>
  /** The kill lands at estimate × (from + spread × random). */
  from: number
  spread: number
  /** After a killed run, before the check (e.g. ending what the dead run left). */
  afterKill?: (n: number) => Promise<void>
  /** The invariant, checked after every run. */
  check: () => void
}

export async function killAtRandomPoints(o: CrashLoop): Promise<{ killed: number; completed: number }> {
  // How long an unkilled redeploy takes here, Node's start-up included.
  o.change(-1)
  const t0 = performance.now()
  const warm = await o.deploy(-1)
  expect({ code: warm.code, stdout: warm.code === 0 ? '' : warm.stdout }).toEqual({ code: 0, stdout: '' })
  o.check()
  // Kill points follow the machine's speed (others share it): the estimate of a deploy's length is
  // updated from every run that finished, and grows a little after every kill, so the kills keep
  // landing across the whole deploy.
  let estimate = performance.now() - t0
  const outcomes = { killed: 0, completed: 0 }
  for (let n = 0; n < o.runs; n++) {
    o.change(n)
    const delay = estimate * (o.from + o.spread * Math.random())
    let timer: NodeJS.Timeout | undefined
    const t1 = performance.now()
    const r = await o.deploy(n, (child) => {
      timer = setTimeout(() => child.kill('SIGKILL'), delay)
    })
    clearTimeout(timer)
    if (r.code === 0) {
      outcomes.completed++
      estimate = performance.now() - t1
    } else {
      expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 128, stdout: expect.any(String) }) // killed, not failed
      outcomes.killed++
      estimate *= 1.05
      await o.afterKill?.(n)
    }
    o.check()
  }
  return outcomes
}
