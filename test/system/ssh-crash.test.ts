// Crash safety over ssh: deploy-atomic (the shipped bundle, target ssh, two
// hosts) is killed with SIGKILL at random points of a redeploy. After every
// kill, `current` on each host names a complete release whose manifest
// verifies, history.json parses, and the next deploy succeeds (breaking the
// dead run's lock and cleaning its leftovers on both hosts).
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { killAtRandomPoints } from '../helpers/crash-loop.js'
import { expectCurrentVerifies } from '../helpers/release-invariants.js'
import { runAction } from '../harness/runner.mjs'
import { waitFor } from '../helpers/http.js'
import { keygen, startSshd, type Sshd } from '../helpers/sshd.js'

jest.setTimeout(400_000)

const RUNS = 12
let root: string
let src: string
let homes: string[]
let servers: Sshd[] = []

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gantry-ssh-crash-'))
  src = join(root, 'src')
  for (let d = 0; d < 20; d++) {
    mkdirSync(join(src, `d${d}`), { recursive: true })
    for (let f = 0; f < 20; f++) writeFileSync(join(src, `d${d}`, `f${f}.txt`), `${d}/${f} `.repeat(200))
  }
  homes = [join(root, 'hostA'), join(root, 'hostB')]
  const client = keygen(join(root, 'client'))
  for (const home of homes) {
    mkdirSync(home)
    servers.push(await startSshd({ client, home }))
  }
}, 60_000)

afterAll(async () => {
  for (const s of servers) await s.stop()
  servers = []
  rmSync(root, { recursive: true, force: true })
})

const inputs = () => ({
  source: src,
  path: 'app',
  keep: 3,
  target: 'ssh',
  hosts: servers.map((s) => s.host).join('\n'),
  'ssh-key': servers[0].clientKey,
  'known-hosts': servers.map((s) => s.knownHosts).join('\n')
})

/** The invariant on one host: current names a complete release whose manifest verifies. */
const checkCurrent = (home: string): string => expectCurrentVerifies(join(home, 'app'), 400)

/** The processes a killed run left behind (they name its RUNNER_TEMP in their arguments). */
function orphans(runnerTemp: string): Array<{ pid: number; master: boolean }> {
  const out: Array<{ pid: number; master: boolean }> = []
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8')
      if (cmd.includes(runnerTemp)) out.push({ pid: Number(p), master: cmd.includes('\0-N\0') })
    } catch {
      // gone meanwhile
    }
  }
  return out
}

describe('kill -9 of an ssh deploy at random points', () => {
  test(`${RUNS} killed redeploys to two hosts never leave current on an incomplete release`, async () => {
    const deploy = (runnerTemp?: string, onSpawn?: (child: ChildProcess) => void) =>
      runAction('deploy-atomic', {
        inputs: inputs(),
        runnerTemp,
        timeoutMs: 120_000,
        distRoot: process.env.GANTRY_DIST_DIR || undefined,
        onSpawn
      })
    const first = await deploy()
    expect({ code: first.code, stdout: first.code === 0 ? '' : first.stdout }).toEqual({ code: 0, stdout: '' })
    const temp = (n: number) => join(root, `temp-${n}`)
    const outcomes = await killAtRandomPoints({
      runs: RUNS,
      change: (n) => {
        for (let k = 0; k < 4; k++)
          writeFileSync(join(src, `d${(n + 20 + k) % 20}`, `f${k}.txt`), `run ${n} file ${k}\n`)
      },
      deploy: (n, onSpawn) => deploy(temp(n), onSpawn),
      from: 0.2,
      spread: 0.9,
      // A SIGKILL leaves the key in RUNNER_TEMP (the runner empties it after the job) and may leave
      // an ssh or rsync call finishing its step: let those end, and end the idle
      // connection masters (ControlPersist would end them after 60 s).
      afterKill: async (n) => {
        await waitFor(() => orphans(temp(n)).every((o) => o.master), 60_000, "the killed run's ssh/rsync calls to end")
        for (const o of orphans(temp(n))) {
          try {
            process.kill(o.pid, 'SIGTERM')
          } catch {
            // ended by itself meanwhile
          }
        }
      },
      check: () => {
        for (const home of homes) checkCurrent(home)
      }
    })
    expect(outcomes.killed).toBeGreaterThan(0)

    writeFileSync(join(src, 'final.txt'), 'final')
    const last = await deploy()
    expect({ code: last.code, stdout: last.code === 0 ? '' : last.stdout }).toEqual({ code: 0, stdout: '' })
    for (const home of homes) {
      expect(checkCurrent(home)).toBe(last.outputs['release-id'])
      expect(readFileSync(join(home, 'app', 'current', 'final.txt'), 'utf8')).toBe('final')
      expect(readdirSync(join(home, 'app', 'releases')).filter((n) => n.startsWith('.'))).toEqual([])
      expect(existsSync(join(home, 'app', '.gantry', 'lock'))).toBe(false)
    }
  })
})
