// The target registry: what deploy-atomic and auto-rollback derive from it
// (inputs, secrets, the refusal of another kind's input) and the checks each
// kind runs before any side effect.
import { describe, expect, test } from '@jest/globals'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkTargets, makeTargets, targetInputs, targetKinds, type TargetValues } from '@gantry/release'
import { loadActionYml } from '../harness/runner.mjs'

const local = (o: Partial<TargetValues> = {}): TargetValues => ({
  path: mkdtempSync(join(tmpdir(), 'gantry-kinds-')),
  target: 'local',
  hosts: [],
  'ssh-key': undefined,
  'known-hosts': undefined,
  ...o
})

describe('target kinds', () => {
  test('the registry names local and ssh; ssh owns hosts, ssh-key and known-hosts; ssh-key is the secret', () => {
    expect(targetKinds.names).toEqual(['local', 'ssh'])
    expect(Object.keys(targetInputs)).toEqual(['path', 'target', 'hosts', 'ssh-key', 'known-hosts'])
    expect(targetKinds.secrets).toEqual(['ssh-key'])
    expect(targetKinds.owner('hosts')?.name).toBe('ssh')
  })

  test.each(['deploy-atomic', 'auto-rollback'])('%s declares every target input', (action) => {
    const declared = Object.keys(loadActionYml(action).inputs ?? {})
    for (const name of Object.keys(targetInputs))
      expect({ name, declared: declared.includes(name) }).toEqual({ name, declared: true })
  })

  test("another kind's input is refused in one line naming it; its credentials are ignored", () => {
    expect(() => checkTargets(local({ hosts: ['deploy@web1'] }))).toThrow(
      "Input 'hosts' has invalid value 'deploy@web1': it is for target 'ssh', but target is 'local'; expected target: ssh, or no hosts"
    )
    // deploy.yml passes GANTRY_SSH_KEY and GANTRY_KNOWN_HOSTS whatever the target.
    expect(() => checkTargets(local({ 'ssh-key': 'a key', 'known-hosts': 'insecure-accept' }))).not.toThrow()
  })

  test('local: a path that is a file is refused before anything is made', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-kinds-'))
    writeFileSync(join(dir, 'file'), '')
    expect(() => makeTargets(local({ path: join(dir, 'file', 'app') }), { log: () => {} })).toThrow(
      /^Input 'path' has invalid value '.*': .* is a file; expected a directory/
    )
  })

  test('local makes one target on the path', async () => {
    const targets = makeTargets(local(), { log: () => {} })
    expect(targets).toHaveLength(1)
    expect(await targets[0].listReleases()).toEqual([])
    for (const t of targets) await t.close()
  })
})
