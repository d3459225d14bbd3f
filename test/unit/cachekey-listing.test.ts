// git listing: one `ls-files -s -o` run split into untracked paths and index
// records, unusual path names, and the key from git's bytes equal to the key
// from the parsed files and from a plain walk of the same files.
import { describe, expect, jest, test } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import {
  blobId,
  compileGlobs,
  computeKeys,
  fileText,
  listInputFiles,
  splitOthers,
  wholeTreePrefix,
  type FileListing
} from '@gantry/cachekey'
import { git, tempDirs, write } from '../helpers/git-tree.js'

jest.setTimeout(60_000)

const temp = tempDirs('gantry-cachekey-listing-')
function keyOf(
  files: Pick<FileListing, 'files' | 'count'> & Partial<Pick<FileListing, 'raw' | 'bytes' | 'digest'>>
): string {
  const o = {
    prefix: 'gantry',
    os: 'Linux',
    arch: 'X64',
    nodeVersion: 'v20.1.0',
    outputs: compileGlobs(['dist'], '', true)
  }
  return computeKeys({ ...o, files, components: [] }).key
}
/** The same files, parsed: the key's slow path (no git text). */
function parsed(l: FileListing): Pick<FileListing, 'files' | 'count'> {
  const files = l.files
  return { files, count: files.length }
}

const ID = '0123456789abcdef0123456789abcdef01234567'

describe('splitOthers', () => {
  const rec = (path: string) => `100644 ${ID} 0\t${path}\0`

  test('untracked paths first, then the index records as one slice', () => {
    const index = rec('a b') + rec('dir/é') + rec('z')
    const out = splitOthers(Buffer.from(`new file\0sub/x\n y\0${index}`))
    expect(out?.others).toEqual(['new file', 'sub/x\n y'])
    expect(out?.index.toString()).toBe(index)
  })

  test('no untracked paths, no index records, nothing at all', () => {
    expect(splitOthers(Buffer.from(rec('a')))).toEqual({ others: [], index: Buffer.from(rec('a')) })
    expect(splitOthers(Buffer.from('u1\0u2\0'))).toEqual({ others: ['u1', 'u2'], index: Buffer.alloc(0) })
    expect(splitOthers(Buffer.alloc(0))).toEqual({ others: [], index: Buffer.alloc(0) })
  })

  test('sha256 repositories and unmerged stages are index records', () => {
    const long = `100644 ${ID}${'a'.repeat(24)} 2\tc\0`
    expect(splitOthers(Buffer.from(`u\0${long}`))?.others).toEqual(['u'])
  })

  test('output not in that order (an untracked path after the records): undefined, the caller lists apart', () => {
    expect(splitOthers(Buffer.from(`${rec('a')}untracked\0`))).toBeUndefined()
  })
})

describe('hashing git output while git writes it', () => {
  test('a clean listing carries sha256(prefix + bytes); the key uses it only when the prefix is its own', async () => {
    const d = temp()
    for (let i = 0; i < 3000; i++) write(d, `src/d${i % 30}/file-${i}.txt`, `${i}\n`) // output of many chunks
    git(d, 'init', '-q')
    git(d, 'add', '-A')
    git(d, 'commit', '-q', '-m', 'i')
    const prefix = wholeTreePrefix('v20.1.0')
    const l = await listInputFiles(d, { digestPrefix: Promise.resolve(prefix) })
    expect(l.bytes!.length).toBeGreaterThan(200_000)
    const expected = createHash('sha256').update(prefix).update(l.bytes!).digest('hex')
    expect(l.digest).toEqual({ prefix, sha256: expected })
    // Same key as hashing the bytes afterwards, and as the parsed files.
    const plain = await listInputFiles(d)
    expect(plain.digest).toBeUndefined()
    expect(keyOf(l)).toBe(keyOf(plain))
    expect(keyOf(l)).toBe(keyOf(parsed(l)))
    // A digest over another prefix (another Node version) is not used.
    expect(keyOf({ ...parsed(l), bytes: l.bytes, digest: { prefix: 'other', sha256: 'f'.repeat(64) } })).toBe(keyOf(l))
    // A prefix known only after git has written (a slow `node --version`): the early chunks wait.
    const late = await listInputFiles(d, {
      digestPrefix: new Promise((r) => setTimeout(() => r(prefix), 300))
    })
    expect(late.digest?.sha256).toBe(expected)
  })

  test('not clean: no digest (the key is built from the parsed files)', async () => {
    const d = temp()
    write(d, 'a.txt', 'a\n')
    git(d, 'init', '-q')
    git(d, 'add', '-A')
    git(d, 'commit', '-q', '-m', 'i')
    write(d, 'new.txt', 'n\n')
    const l = await listInputFiles(d, { digestPrefix: Promise.resolve(wholeTreePrefix('v20.1.0')) })
    expect(l.digest).toBeUndefined()
    expect(l.untracked).toBe(1)
  })
})

describe('git listing with unusual names', () => {
  const names = ['with space.txt', 'new\nline.txt', 'tab\there.txt', 'é/ü.txt', '\u{1F600}.txt', '"quoted".txt']

  function repo(): string {
    const d = temp()
    write(d, '.gitignore', '*.log\n')
    for (const n of names) write(d, `tracked/${n}`, `t ${n}\n`)
    git(d, 'init', '-q')
    git(d, 'add', '-A')
    git(d, 'commit', '-q', '-m', 'i')
    return d
  }

  test('clean: the key from git bytes equals the key from the parsed files and from a walk', async () => {
    const d = repo()
    const l = await listInputFiles(d)
    expect(l.bytes).toBeDefined()
    expect(l.files.map((f) => f.path)).toEqual(['.gitignore', ...names.map((n) => `tracked/${n}`)].sort())
    expect(l.raw).toBe(fileText(l.files))
    const key = keyOf(l)
    expect(keyOf(parsed(l))).toBe(key)
    const copy = temp()
    cpSync(d, copy, {
      recursive: true,
      filter: (src) => src !== join(d, '.git') && !src.startsWith(`${join(d, '.git')}/`)
    })
    const walk = await listInputFiles(copy)
    expect(walk.source).toBe('walk')
    expect(keyOf(walk)).toBe(key)
  })

  test('untracked files with unusual names count (hashed), ignored ones do not', async () => {
    const d = repo()
    const clean = keyOf(await listInputFiles(d))
    for (const n of names) write(d, `untracked/${n}`, `u ${n}\n`)
    write(d, 'untracked/debug.log', 'ignored\n')
    const l = await listInputFiles(d)
    expect(l.bytes).toBeUndefined()
    expect(l.untracked).toBe(names.length)
    const untracked = l.files.filter((f) => f.path.startsWith('untracked/'))
    expect(untracked.map((f) => f.path)).toEqual(names.map((n) => `untracked/${n}`).sort())
    expect(untracked.find((f) => f.path === 'untracked/tab\there.txt')?.id).toBe(
      blobId(Buffer.from('u tab\there.txt\n'))
    )
    expect(keyOf(l)).not.toBe(clean)
  })

  test('an untracked name that mimics an index record is an untracked file, not a record', async () => {
    const d = repo()
    const clean = await listInputFiles(d)
    // What a fake record would claim: that tracked/with space.txt has another id.
    const fake = `100644 ${ID} 0\ttracked/with space.txt`
    write(d, fake, 'fake\n')
    const l = await listInputFiles(d)
    expect(l.untracked).toBe(1)
    expect(l.files.find((f) => f.path === fake)?.id).toBe(blobId(Buffer.from('fake\n')))
    const real = l.files.find((f) => f.path === 'tracked/with space.txt')
    expect(real?.id).toBe(clean.files.find((f) => f.path === 'tracked/with space.txt')?.id)
    expect(l.count).toBe(clean.count + 1)
  })

  test('deleted, modified and type-changed files are seen beside the one ls-files run', async () => {
    const d = repo()
    const before = keyOf(await listInputFiles(d))
    rmSync(join(d, 'tracked', 'with space.txt'))
    write(d, 'tracked/é/ü.txt', 'edited\n')
    rmSync(join(d, 'tracked', '"quoted".txt'))
    spawnSync('ln', ['-s', 'target', join(d, 'tracked', '"quoted".txt')])
    const l = await listInputFiles(d)
    const paths = l.files.map((f) => f.path)
    expect(paths).not.toContain('tracked/with space.txt')
    expect(l.files.find((f) => f.path === 'tracked/é/ü.txt')?.id).toBe(blobId(Buffer.from('edited\n')))
    expect(l.files.find((f) => f.path === 'tracked/"quoted".txt')).toEqual({
      path: 'tracked/"quoted".txt',
      mode: '120000',
      id: blobId(Buffer.from('target'))
    })
    expect(keyOf(l)).not.toBe(before)
  })
})
