// Actions whose issue has not landed fail honestly through the shipped bundle.
import { describe, expect, test } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ActionNames } from '@gantry/core'
import { repoRoot, runAction } from '../harness/runner.mjs'

const stubs = ActionNames.filter((n) =>
  readFileSync(join(repoRoot, 'actions', n, 'src', 'main.ts'), 'utf8').includes('notImplemented(')
)

describe('not implemented yet', () => {
  test('the list of stubs is known', () => expect(Array.isArray(stubs)).toBe(true))
  // Every action has landed; jest rejects test.each over an empty table.
  if (stubs.length > 0)
    test.each(stubs)('%s exits 1 with one clear line', async (name) => {
      const r = await runAction(name, { inputs: {}, post: false })
      expect(r.code).toBe(1)
      expect(r.annotations).toEqual([
        expect.objectContaining({ level: 'error', message: `${name} is not implemented yet` })
      ])
    })
})
