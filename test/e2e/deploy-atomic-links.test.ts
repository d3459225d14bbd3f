// Links that leave the release through other links (issue 14): `x -> .` makes
// `x/x/../..` climb out although the text alone stays inside. Every link is
// resolved against the release tree, from a directory and from a .tar.gz.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../harness/runner.mjs'
import { writeFiles } from '../helpers/git-tree.js'

jest.setTimeout(120_000)

let root: string
let base: string

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-links-'))
  base = join(root, 'app')
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)

/** A release directory holding index.html and the given links (path -> target). */
function tree(name: string, links: Array<[string, string]>, dirs: string[] = []): string {
  const d = writeFiles(join(root, name), { 'index.html': 'x', 'docs/readme.txt': 'inside' })
  for (const p of dirs) mkdirSync(join(d, p), { recursive: true })
  for (const [p, t] of links) symlinkSync(t, join(d, p))
  return d
}

function tarOf(dir: string): string {
  const file = `${dir}.tar.gz`
  const r = spawnSync('tar', ['-czf', file, '-C', dir, '.'], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(r.stderr)
  return file
}

// Components of <path>/releases/<id>: that many `..` from the release reach /.
const depth = () => join(root, 'app', 'releases', 'id').split('/').length - 1
const up = (n: number) => Array(n).fill('..').join('/')

// Each link's text stays inside when read alone (the old check passed them all).
// node-tar refuses to extract a link through another link, so a .tar.gz may not
// hold one at all: refused up front with its own reason.
const through = (p: string) =>
  new RegExp(`goes through the symlink '${p}' \\(a \\.tar\\.gz cannot hold links through links`)
const escapes: Array<[string, () => Array<[string, string]>, RegExp, RegExp]> = [
  [
    'x -> . then x/x/…/../../etc/passwd',
    () => [
      ['x', '.'],
      ['p', `${'x/'.repeat(depth())}${up(depth())}/etc/passwd`]
    ],
    /symlink 'p' -> '.*etc\/passwd' leaves the release/,
    through('x')
  ],
  [
    'a chain a -> b -> x/.. with x -> .',
    () => [
      ['x', '.'],
      ['b', 'x/..'],
      ['a', 'b']
    ],
    /symlink '(a' -> 'b|b' -> 'x\/\.\.)' leaves the release/,
    /'(a' -> 'b' goes through the symlink 'b'|b' -> 'x\/\.\.' goes through the symlink 'x')/
  ],
  [
    'a path through a directory link that climbs',
    () => [
      ['docs/up', '..'],
      ['e', 'docs/up/..']
    ],
    /symlink 'e' -> 'docs\/up\/\.\.' leaves the release/,
    through('docs/up')
  ],
  [
    'an absolute target',
    () => [['etc', '/etc']],
    /symlink 'etc' -> '\/etc' is absolute/,
    /entry '\.\/etc' is a symlink to '\/etc', outside the release/
  ],
  [
    'a loop a -> b -> a',
    () => [
      ['a', 'b'],
      ['b', 'a']
    ],
    /symlink '(a' -> 'b|b' -> 'a)' is a symlink loop/,
    /goes through the symlink '(a|b)'/
  ],
  ['a self loop', () => [['self', 'self/x']], /symlink 'self' -> 'self\/x' is a symlink loop/, through('self')]
]

describe.each([
  ['a directory', (d: string) => d, 0],
  ['a .tar.gz', tarOf, 1]
] as const)('from %s', (_kind, pack, which) => {
  test.each(escapes)('%s is refused whole, nothing changes', async (_name, links, dirMessage, tarMessage) => {
    const good = tree('good', [])
    expect(
      (await runAction('deploy-atomic', { inputs: { source: good, path: base, 'release-id': 'good' } })).code
    ).toBe(0)
    const r = await runAction('deploy-atomic', {
      inputs: { source: pack(tree('evil', links())), path: base },
      runnerTemp: join(root, 'runner-temp')
    })
    expect(r.code).toBe(1)
    expect(errors(r)).toEqual([expect.stringMatching(which === 0 ? dirMessage : tarMessage)])
    expect(errors(r)[0]).toMatch(/^Input 'source' has invalid value '/)
    expect(readlinkSync(join(base, 'current'))).toBe('releases/good')
    expect(JSON.parse(readFileSync(join(base, '.gantry', 'history.json'), 'utf8')).releases).toHaveLength(1)
    expect(readdirSync(join(root, 'runner-temp')).filter((n) => n.startsWith('gantry-source-'))).toEqual([])
  })

  test('links that stay inside are shipped (from a directory, through other links too)', async () => {
    const plain: Array<[string, string]> = [
      ['readme', 'docs/readme.txt'],
      ['chain2', 'docs/../docs'],
      ['dangling', 'not/there'],
      ['sub/up', '../docs']
    ]
    const viaLinks: Array<[string, string]> = [
      ['x', '.'],
      ['deep', 'x/x/docs/readme.txt'],
      ['chain1', 'chain2'],
      ['viadir', 'chain1/readme.txt']
    ]
    const src = tree('fine', which === 0 ? [...plain, ...viaLinks] : plain, ['sub'])
    const r = await runAction('deploy-atomic', { inputs: { source: pack(src), path: base, 'release-id': 'fine' } })
    expect(errors(r)).toEqual([])
    expect(r.code).toBe(0)
    expect(readFileSync(join(base, 'current', 'readme'), 'utf8')).toBe('inside')
    expect(readFileSync(join(base, 'current', 'chain2', 'readme.txt'), 'utf8')).toBe('inside')
    expect(readFileSync(join(base, 'current', 'sub', 'up', 'readme.txt'), 'utf8')).toBe('inside')
    expect(existsSync(join(base, 'current', 'dangling'))).toBe(false)
    if (which === 0) {
      expect(readFileSync(join(base, 'current', 'deep'), 'utf8')).toBe('inside')
      expect(readFileSync(join(base, 'current', 'viadir'), 'utf8')).toBe('inside')
    }
  })
})
