// deploy-atomic's bad inputs and bad states found on the target (issue 14): each is
// one line naming what is wrong, before any change to the target or RUNNER_TEMP.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tar from 'tar'
import { runAction } from '../harness/runner.mjs'
import { writeFiles } from '../helpers/git-tree.js'

jest.setTimeout(90_000)

let root: string
let base: string

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-e2e-deploy-inputs-'))
  base = join(root, 'app')
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

const source = (name: string, files: Record<string, string>): string => writeFiles(join(root, name), files)
const errors = (r: { annotations: Array<{ level: string; message: string }> }) =>
  r.annotations.filter((a) => a.level === 'error').map((a) => a.message)
const current = () => readlinkSync(join(base, 'current'))
const historyText = () => readFileSync(join(base, '.gantry', 'history.json'), 'utf8')

/** One error line, no stack trace, nothing printed from Node's internals. */
function expectOneLine(r: { code: number; stdout: string; stderr: string }, message: RegExp): void {
  expect(r.code).toBe(1)
  const e = errors(r as never)
  expect(e).toHaveLength(1)
  expect(e[0]).toMatch(message)
  expect(e[0]).not.toContain('\n')
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at |ENOENT|EISDIR|TypeError/)
}

describe('bad inputs, before any side effect', () => {
  test('hosts given while target is local', async () => {
    const r = await runAction('deploy-atomic', {
      inputs: { source: source('v', { 'index.html': 'x' }), path: base, hosts: 'deploy@web1.example.com' }
    })
    expectOneLine(
      r,
      /^Input 'hosts' has invalid value 'deploy@web1\.example\.com': it is for target 'ssh', but target is 'local'; expected target: ssh, or no hosts$/
    )
    expect(existsSync(base)).toBe(false)
  })

  test('path that is a file (or lies below one)', async () => {
    const file = join(root, 'app.txt')
    writeFileSync(file, 'not a directory')
    const src = source('v', { 'index.html': 'x' })
    for (const path of [file, join(file, 'sub')]) {
      const r = await runAction('deploy-atomic', { inputs: { source: src, path } })
      expectOneLine(
        r,
        new RegExp(
          `^Input 'path' has invalid value '${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}': .*app\\.txt is a file; expected a directory \\(or a path to create\\)$`
        )
      )
    }
    expect(readFileSync(file, 'utf8')).toBe('not a directory')
  })

  test('overlapping shared entries', async () => {
    const src = source('v', { 'index.html': 'x' })
    for (const [shared, message] of [
      ['storage\nstorage/logs', /'storage\/logs' lies inside 'storage'/],
      ['storage/logs\nstorage', /'storage\/logs' lies inside 'storage'/],
      ['logs\nlogs', /'logs' is listed twice/]
    ] as const) {
      const r = await runAction('deploy-atomic', { inputs: { source: src, path: base, shared } })
      expectOneLine(
        r,
        new RegExp(
          `^Input 'shared' has invalid value .*: ${message.source}; expected paths that do not overlap, one per line$`
        )
      )
      expect(existsSync(base)).toBe(false)
    }
  })

  test('an empty source is refused unless allow-empty: true', async () => {
    const empty = join(root, 'empty')
    mkdirSync(join(empty, 'only-dirs'), { recursive: true })
    const r = await runAction('deploy-atomic', { inputs: { source: empty, path: base } })
    expectOneLine(
      r,
      /^Input 'source' has invalid value '.*empty': it holds no files; expected a release with files, or allow-empty: true to ship an empty one$/
    )
    expect(existsSync(base)).toBe(false)

    const tarball = join(root, 'empty.tar.gz')
    await tar.c({ gzip: true, file: tarball, cwd: empty }, ['.'])
    const t = await runAction('deploy-atomic', { inputs: { source: tarball, path: base } })
    expectOneLine(t, /^Input 'source' has invalid value '.*empty\.tar\.gz': it holds no files;/)
    expect(existsSync(base)).toBe(false)

    const ok = await runAction('deploy-atomic', {
      inputs: { source: empty, path: base, 'allow-empty': 'true', 'release-id': 'empty' }
    })
    expect(ok.code).toBe(0)
    expect(current()).toBe('releases/empty')
    const bad = await runAction('deploy-atomic', { inputs: { source: empty, path: base, 'allow-empty': 'maybe' } })
    expectOneLine(bad, /^Input 'allow-empty' has invalid value 'maybe': expected true or false$/)
  })

  test('a bad tarball: one line, and nothing half-extracted left in RUNNER_TEMP', async () => {
    const runnerTemp = join(root, 'runner-temp')
    mkdirSync(runnerTemp)
    const src = source('v', { 'index.html': 'x' })
    // Incompressible, so that half the file is half the archive.
    writeFileSync(join(src, 'big.bin'), randomBytes(300_000))
    const good = join(root, 'good.tar.gz')
    await tar.c({ gzip: true, file: good, cwd: src }, ['.'])
    // Cut in the middle: the gzip stream ends early.
    const cut = join(root, 'cut.tar.gz')
    const whole = readFileSync(good)
    writeFileSync(cut, whole.subarray(0, whole.length >> 1))
    // Lists cleanly, then fails to extract: a hard link to a member the archive lacks.
    const dangling = join(root, 'dangling.tar.gz')
    await tar.c({ gzip: true, file: dangling, cwd: src }, ['index.html', 'big.bin'])
    const { spawnSync } = await import('node:child_process')
    const py = `import tarfile, io
t = tarfile.open(${JSON.stringify(dangling)}, 'w:gz')
i = tarfile.TarInfo('big.bin'); d = b'y' * 300000; i.size = len(d); t.addfile(i, io.BytesIO(d))
l = tarfile.TarInfo('link'); l.type = tarfile.LNKTYPE; l.linkname = 'missing'; t.addfile(l)
t.close()`
    expect(spawnSync('python3', ['-c', py]).status).toBe(0)
    for (const [file, why] of [
      [cut, /it is not a readable \.tar\.gz \(.*\)/],
      [dangling, /entry 'link' is a hard link to 'missing', which the archive does not hold before it/]
    ] as const) {
      const r = await runAction('deploy-atomic', { inputs: { source: file, path: base }, runnerTemp })
      expectOneLine(r, new RegExp(`^Input 'source' has invalid value '.*': ${why.source}`))
      expect(readdirSync(runnerTemp).filter((n) => n.startsWith('gantry-source-'))).toEqual([])
      expect(existsSync(base)).toBe(false)
    }
  })
})

describe('bad states on the target, before any change', () => {
  async function deployed(): Promise<string> {
    const r = await runAction('deploy-atomic', {
      inputs: { source: source('v1', { 'index.html': 'v1' }), path: base, 'release-id': 'v1' }
    })
    expect(r.code).toBe(0)
    return historyText()
  }

  test('a null entry in history.json', async () => {
    await deployed()
    const h = JSON.parse(historyText())
    h.releases.push(null)
    writeFileSync(join(base, '.gantry', 'history.json'), JSON.stringify(h))
    const before = historyText()
    const r = await runAction('deploy-atomic', { inputs: { source: source('v2', { 'index.html': 'v2' }), path: base } })
    expectOneLine(
      r,
      /^local:.*: \.gantry\/history\.json: releases\[1\] is null, expected a release record \(\{"id": …, "status": …\}\); fix or remove that entry; nothing changed$/
    )
    expect(historyText()).toBe(before)
    expect(current()).toBe('releases/v1')
    expect(readdirSync(join(base, 'releases'))).toEqual(['v1'])
  })

  test('a lock path that is a directory', async () => {
    const before = await deployed()
    mkdirSync(join(base, '.gantry', 'lock'))
    const r = await runAction('deploy-atomic', { inputs: { source: source('v2', { 'index.html': 'v2' }), path: base } })
    expectOneLine(r, /^local:.*: .*\.gantry\/lock is a directory, not a lock file; remove it; nothing changed$/)
    expect(historyText()).toBe(before)
    expect(current()).toBe('releases/v1')
  })
})
