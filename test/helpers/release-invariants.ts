// The crash-safety invariant, shared by the local and ssh crash tests:
// `current` names a complete release whose stored manifest verifies, and
// history.json (written atomically) always parses.
import { expect } from '@jest/globals'
import { readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { parseCurrentLink, parseHistory, parseManifest, verifyDir } from '@gantry/release'

/** Checks the invariant on `<base>` and returns the current release id. */
export function expectCurrentVerifies(base: string, minFiles: number): string {
  const link = readlinkSync(join(base, 'current'))
  const id = parseCurrentLink(link)
  expect(id).toBeDefined()
  if (id === undefined) throw new Error(`current points at '${link}'`)
  const manifest = parseManifest(readFileSync(join(base, '.gantry', 'manifests', `${id}.json`), 'utf8'))
  expect(manifest).toBeDefined()
  const v = verifyDir(join(base, 'releases', id), manifest!)
  expect({ id, problems: v.problems }).toEqual({ id, problems: [] })
  expect(v.checked).toBeGreaterThan(minFiles)
  parseHistory(readFileSync(join(base, '.gantry', 'history.json'), 'utf8'))
  return id
}
