// The target conformance suite on the ssh target: sshd from Debian on
// 127.0.0.1, the real OpenSSH client and rsync.
import { afterAll, beforeAll, jest } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeSshTargets } from '@gantry/release'
import { keygen, startSshd, type Sshd } from '../helpers/sshd.js'
import { targetConformance } from '../helpers/target-conformance.js'

jest.setTimeout(120_000)

let sshd: Sshd
let keyDir: string

beforeAll(async () => {
  keyDir = mkdtempSync(join(tmpdir(), 'gantry-conform-key-'))
  sshd = await startSshd({ client: keygen(join(keyDir, 'client')) })
}, 60_000)

afterAll(async () => {
  await sshd?.stop()
  rmSync(keyDir, { recursive: true, force: true })
})

targetConformance('ssh', (base) => {
  const [t] = makeSshTargets(
    { kind: 'ssh', path: base, hosts: [sshd.host], sshKey: sshd.clientKey, knownHosts: sshd.knownHosts },
    { log: () => {}, warn: () => {}, tempRoot: keyDir }
  )
  return t!
})
