// Every committed bundle's licenses.txt names every package whose code it holds,
// in all of its files: a bundle split by a lazy import() has several, and ncc's
// own license file kept only the last one's packages (scripts/licenses.mjs).
import { describe, expect, test } from '@jest/globals'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const dist = fileURLToPath(new URL('../../dist', import.meta.url))
const actions = readdirSync(dist, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)

/** Packages named in the bundle's module comments (`// EXTERNAL MODULE: ../../node_modules/<pkg>/…`). */
function bundledPackages(dir: string): Set<string> {
  const found = new Set<string>()
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.js'))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/node_modules\/((?:@[^/\s]+\/)?[^/\s]+)\//g))
      found.add(m[1])
  }
  return found
}

/** Entries are `name`, licence id, licence text, then blank lines: a name starts each block (so do some paragraphs of a text). */
const names = (text: string): string[] => text.split(/\n\s*\n/).map((block) => block.trim().split('\n')[0])

describe('licenses.txt of each bundle', () => {
  test.each(actions)('%s names every package of every bundle file', (name) => {
    const dir = join(dist, name)
    const text = readFileSync(join(dir, 'licenses.txt'), 'utf8')
    const named = new Set(names(text))
    const missing = [...bundledPackages(dir)].filter((p) => !named.has(p))
    expect(missing).toEqual([])
  })

  test('a split bundle has its chunks and their packages listed', () => {
    const dir = join(dist, 'deploy-atomic')
    expect(readdirSync(dir).filter((n) => n.endsWith('.js')).length).toBeGreaterThan(1)
    const named = names(readFileSync(join(dir, 'licenses.txt'), 'utf8'))
    // In the main file, in the GitHub client's chunk, in node-tar's chunk.
    expect(named).toEqual(expect.arrayContaining(['@actions/core', 'zod', '@octokit/core', '@actions/github', 'tar']))
  })
})
