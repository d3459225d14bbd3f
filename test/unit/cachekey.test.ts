import { describe, expect, jest, test } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { InputError, UserError } from '@gantry/core'
import {
  blobId,
  checkGlob,
  collectOutputs,
  comparePaths,
  compileGlobs,
  computeKeys,
  CorruptEntry,
  describeDiff,
  diffIndex,
  directories,
  ENTRY_FILE,
  fileText,
  findComponents,
  hasPathAtOrBelow,
  listInputFiles,
  LocalBackend,
  readEntryMeta,
  restoreEntry,
  stageEntry,
  type Component,
  type InputFile,
  type KeyOptions
} from '@gantry/cachekey'
import { git, tempDirs, write } from '../helpers/git-tree.js'

// Each test runs several node and git processes; the machine may be busy (no speed is asserted).
jest.setTimeout(60_000)

const temp = tempDirs('gantry-cachekey-')

describe('file ids and listing', () => {
  test('blobId is git hash-object', () => {
    const d = temp()
    for (const content of ['', 'hello\n', 'x'.repeat(10_000)]) {
      writeFileSync(join(d, 'f'), content)
      expect(blobId(Buffer.from(content))).toBe(
        spawnSync('git', ['hash-object', 'f'], { cwd: d, encoding: 'utf8' }).stdout.trim()
      )
    }
  })

  test('git listing: index ids, modified and untracked files hashed, ignored and deleted ones left out', async () => {
    const d = temp()
    write(d, '.gitignore', '*.log\n')
    write(d, 'a.txt', 'a\n')
    write(d, 'b.txt', 'b\n')
    write(d, 'sub/c.txt', 'c\n')
    git(d, 'init', '-q')
    git(d, 'add', '-A')
    git(d, 'commit', '-q', '-m', 'i')

    const clean = await listInputFiles(d)
    expect(clean.source).toBe('git')
    expect(clean.raw).toBeDefined() // a clean checkout is keyed from git's text as it is
    expect(clean.count).toBe(4)
    expect(clean.files.map((f) => f.path)).toEqual(['.gitignore', 'a.txt', 'b.txt', 'sub/c.txt'])
    expect(clean.files[1].id).toBe(git(d, 'rev-parse', 'HEAD:a.txt').trim())
    expect(clean.raw).toBe(fileText(clean.files))

    write(d, 'a.txt', 'changed\n')
    unlinkSync(join(d, 'b.txt'))
    write(d, 'new.txt', 'new\n')
    write(d, 'debug.log', 'ignored\n')
    const dirty = await listInputFiles(d)
    expect(dirty.raw).toBeUndefined()
    expect(dirty.files.map((f) => f.path)).toEqual(['.gitignore', 'a.txt', 'new.txt', 'sub/c.txt'])
    expect(dirty.files[1].id).toBe(blobId(Buffer.from('changed\n')))
    expect(dirty.files[2].id).toBe(blobId(Buffer.from('new\n')))
    expect(dirty).toMatchObject({ untracked: 1, modified: 1, hashed: 2 })
  })

  test('an unmerged path (merge conflict) is one entry hashed from the work tree', async () => {
    const d = temp()
    write(d, 'f.txt', 'base\n')
    write(d, 'g.txt', 'g\n')
    git(d, 'init', '-q', '-b', 'main')
    git(d, 'add', '-A')
    git(d, 'commit', '-q', '-m', 'base')
    git(d, 'checkout', '-q', '-b', 'other')
    write(d, 'f.txt', 'other\n')
    git(d, 'commit', '-q', '-am', 'other')
    git(d, 'checkout', '-q', 'main')
    write(d, 'f.txt', 'main\n')
    git(d, 'commit', '-q', '-am', 'main')
    spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'merge', 'other'], { cwd: d })
    const l = await listInputFiles(d)
    expect(l.raw).toBeUndefined()
    expect(l.files.map((x) => x.path)).toEqual(['f.txt', 'g.txt'])
    expect(l.files[0].id).toBe(blobId(readFileSync(join(d, 'f.txt'))))
  })

  test('a subdirectory of a checkout lists its own files, relative to it, edits included', async () => {
    const d = temp()
    write(d, 'app/src/a.ts', 'a\n')
    write(d, 'app/b.ts', 'b\n')
    write(d, 'other/c.ts', 'c\n')
    git(d, 'init', '-q')
    git(d, 'add', '-A')
    git(d, 'commit', '-q', '-m', 'i')
    write(d, 'app/src/a.ts', 'edited\n')
    write(d, 'other/c.ts', 'edited too\n')
    write(d, 'app/new.ts', 'new\n')
    const sub = await listInputFiles(join(d, 'app'))
    expect(sub.files).toEqual([
      { path: 'b.ts', mode: '100644', id: blobId(Buffer.from('b\n')) },
      { path: 'new.ts', mode: '100644', id: blobId(Buffer.from('new\n')) },
      { path: 'src/a.ts', mode: '100644', id: blobId(Buffer.from('edited\n')) }
    ])
  })

  test('outside git a walk gives the same records (skipping .git and node_modules)', async () => {
    const d = temp()
    write(d, 'x/y.txt', 'y\n')
    write(d, 'node_modules/dep/index.js', 'dep\n')
    const walk = await listInputFiles(d)
    expect(walk.source).toBe('walk')
    expect(walk.files).toEqual([{ path: 'x/y.txt', mode: '100644', id: blobId(Buffer.from('y\n')) }])
  })

  test("binary search over git's bytes: a path or anything below it, not its look-alike neighbours", () => {
    const bytes = Buffer.from(
      fileText([f('a/dist-old/x'), f('a/dist.txt'), f('a/distro/y'), f('b/dist'), f('c/dist/z/q')])
    )
    expect(hasPathAtOrBelow(bytes, 'a/dist')).toBe(false)
    expect(hasPathAtOrBelow(bytes, 'b/dist')).toBe(true)
    expect(hasPathAtOrBelow(bytes, 'c/dist')).toBe(true)
    expect(hasPathAtOrBelow(bytes, 'c/dist/z')).toBe(true)
    expect(hasPathAtOrBelow(bytes, 'd')).toBe(false)
    expect(hasPathAtOrBelow(Buffer.alloc(0), 'a')).toBe(false)
  })

  test('the search follows byte order, non-ASCII paths included', () => {
    const text = fileText(
      [
        f('a/dist-old/x'),
        f('a/dist.txt'),
        f('a/distro/y'),
        f('b/dist'),
        f('c/dist/z/q'),
        f('é/dist/x'),
        f('\u{1F600}')
      ].sort((x, y) => comparePaths(x.path, y.path))
    )
    const bytes = Buffer.from(text)
    // What a scan of every path says: the path itself, or one below it.
    const paths = text
      .split('\0')
      .filter(Boolean)
      .map((r) => r.slice(r.indexOf('\t') + 1))
    const scan = (p: string) => paths.some((q) => q === p || q.startsWith(`${p}/`))
    for (const p of [
      'a/dist',
      'b/dist',
      'c/dist',
      'c/dist/z',
      'd',
      'é/dist',
      'é',
      '\u{1F600}',
      '\uFFFD',
      'c/dis',
      'c/dist/z/q/r'
    ]) {
      expect([p, hasPathAtOrBelow(bytes, p)]).toEqual([p, scan(p)])
    }
    expect(hasPathAtOrBelow(bytes, 'é/dist')).toBe(true)
  })

  test("paths sort in git's byte order, not UTF-16 order", () => {
    const names = ['b', 'a/b', 'a', '\u{1F600}', '\uFFFD', 'A', 'é']
    const byBytes = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
    expect([...names].sort(comparePaths)).toEqual(byBytes)
  })
})

describe('globs', () => {
  test.each([
    ['!', /empty after '!'/],
    ['/abs/**', /absolute/],
    ['C:\\x', /absolute/],
    ['a/../b', /leaves working-directory/],
    ['a\\b', /contains '\\'/],
    ['a/[b', /not a valid glob/]
  ])('%s is rejected', (glob, message) => {
    expect(() => checkGlob(glob)).toThrow(message)
  })

  test('literal and wildcard patterns, directories, exclusions and a component prefix', () => {
    const out = compileGlobs(['dist', 'build/**/*.js', '!dist/keep.txt'], 'packages/a', true)
    expect(out.match('packages/a/dist')).toBe(true)
    expect(out.match('packages/a/dist/x/y.js')).toBe(true)
    expect(out.match('packages/a/dist/keep.txt')).toBe(false)
    expect(out.match('packages/a/build/q/z.js')).toBe(true)
    expect(out.match('packages/a/distro/x')).toBe(false)
    expect(out.match('packages/b/dist/x')).toBe(false)
    expect(out.literals).toBeUndefined()
    expect(compileGlobs(['dist', 'out/x']).literals).toEqual(['dist', 'out/x'])
    const keyFiles = compileGlobs(['src/**', '.github/*.yml'])
    expect(keyFiles.match('src/a/b.ts')).toBe(true)
    expect(keyFiles.match('.github/ci.yml')).toBe(true)
    expect(keyFiles.match('test/a.ts')).toBe(false)
  })
})

function f(path: string, content = path): InputFile {
  return { path, mode: '100644', id: blobId(Buffer.from(content)) }
}
function listing(files: InputFile[]): KeyOptions['files'] {
  const sorted = [...files].sort((a, b) => comparePaths(a.path, b.path))
  return { files: sorted, count: sorted.length, raw: undefined }
}
const base = { prefix: 'gantry', os: 'Linux', arch: 'X64', nodeVersion: 'v20.1.0', outputs: compileGlobs([]) }
const comps: Component[] = [
  { dir: 'packages/lib', deps: [] },
  { dir: 'packages/app', deps: ['packages/lib'] },
  { dir: 'packages/tool', deps: ['packages/app'] }, // transitive: tool → app → lib
  { dir: 'packages/web', deps: [] }
]
const tree = [
  f('package.json'),
  f('package-lock.json'),
  f('packages/lib/src/a.ts'),
  f('packages/app/src/b.ts'),
  f('packages/tool/src/c.ts'),
  f('packages/web/src/d.ts')
]

describe('computeKeys', () => {
  test('prefix-OS-arch-sha256; same inputs give the same key; the raw text path gives the same key', () => {
    const a = computeKeys({ ...base, files: listing(tree), components: [] })
    expect(a.key).toMatch(/^gantry-Linux-X64-[0-9a-f]{64}$/)
    expect(computeKeys({ ...base, files: listing([...tree].reverse()), components: [] }).key).toBe(a.key)
    const sorted = listing(tree).files
    const raw = computeKeys({
      ...base,
      files: { files: sorted, count: sorted.length, raw: fileText(sorted) },
      components: []
    })
    expect(raw.key).toBe(a.key)
    // git's bytes as they came (what a clean checkout gives): the same key, and the same index text.
    const text = fileText(sorted)
    const fromBytes = computeKeys({
      ...base,
      files: {
        files: sorted,
        count: sorted.length,
        bytes: Buffer.from(text),
        get raw() {
          return text
        }
      },
      components: []
    })
    expect(fromBytes.key).toBe(a.key)
    expect(fromBytes.units[0].index).toBe(a.units[0].index)
    expect(computeKeys({ ...base, nodeVersion: 'v22.0.0', files: listing(tree), components: [] }).key).not.toBe(a.key)
    expect(computeKeys({ ...base, os: 'macOS', files: listing(tree), components: [] }).key).not.toBe(a.key)
  })

  test("components keyed from git's bytes, without parsing them, equal the parsed path", () => {
    const all = [...tree, f('packages/lib-extra/x.ts'), f('packages/web/é/ü.ts'), f('tools/\u{1F600}.sh')]
    const withUnicode: Component[] = [...comps, { dir: 'packages/web/é', deps: [] }].filter(
      (c) => c.dir !== 'packages/web'
    )
    const parsed = computeKeys({ ...base, files: listing(all), components: withUnicode })
    const sorted = listing(all).files
    const text = fileText(sorted)
    const fromBytes = computeKeys({
      ...base,
      files: {
        get files(): InputFile[] {
          throw new Error('the bytes path must not parse the listing')
        },
        count: sorted.length,
        bytes: Buffer.from(text),
        raw: text
      },
      components: withUnicode
    })
    const view = (k: typeof parsed) => [k.key, k.globalFiles, k.units.map((u) => [u.dir, u.key, u.files, u.index])]
    expect(view(fromBytes)).toEqual(view(parsed))
  })

  test('outputs are never inputs; the lockfile always is, even outside key-files', () => {
    const a = computeKeys({ ...base, files: listing(tree), components: [] })
    const withOut = computeKeys({
      ...base,
      outputs: compileGlobs(['out'], '', true),
      files: listing([...tree, f('out/x.js')]),
      components: []
    })
    expect(withOut.key).toBe(a.key)
    expect(withOut.excludedOutputs).toBe(1)
    const narrow = (lock: string) =>
      computeKeys({
        ...base,
        keyFiles: compileGlobs(['packages/web/**']),
        files: listing([...tree.filter((x) => x.path !== 'package-lock.json'), f('package-lock.json', lock)]),
        components: []
      })
    expect(narrow('v1').key).not.toBe(narrow('v2').key)
    expect(() =>
      computeKeys({ ...base, keyFiles: compileGlobs(['nope/**']), files: listing(tree), components: [] })
    ).toThrow(InputError)
  })

  test('a library edit changes it and every dependent, direct or not, and nothing else', () => {
    const before = computeKeys({ ...base, files: listing(tree), components: comps })
    const edited = tree.map((x) => (x.path === 'packages/lib/src/a.ts' ? f(x.path, 'edited') : x))
    const after = computeKeys({ ...base, files: listing(edited), components: comps })
    const changed = after.units.filter((u, i) => u.key !== before.units[i].key).map((u) => u.dir)
    expect(changed).toEqual(['packages/lib', 'packages/app', 'packages/tool'])
    const tool = after.units.find((u) => u.dir === 'packages/tool')!
    const toolBefore = before.units.find((u) => u.dir === 'packages/tool')!
    const d = diffIndex(toolBefore.index, tool.index)
    expect(d.changed).toEqual(['dependency packages/lib'])
    expect(describeDiff(d, toolBefore.index, tool.index)).toBe('dependency packages/lib (modified)')
    // A root file is global: every component changes.
    const global = computeKeys({ ...base, files: listing([...tree, f('tsconfig.json')]), components: comps })
    expect(global.units.every((u, i) => u.key !== before.units[i].key)).toBe(true)
  })

  test("components from git's text (clean checkout) equal components from the parsed list", () => {
    const files = listing([...tree, f('packages/libx/z.ts'), f('packages/lib-other/q.ts'), f('zzz.md')])
    const raw = { ...files, raw: fileText(files.files) }
    const withOthers = [...comps, { dir: 'packages/libx', deps: ['packages/lib'] }]
    const parsed = computeKeys({ ...base, outputs: compileGlobs(['dist'], '', true), files, components: withOthers })
    const fromText = computeKeys({
      ...base,
      outputs: compileGlobs(['dist'], '', true),
      files: raw,
      components: withOthers
    })
    expect(fromText).toEqual(parsed)
    expect(fromText.units.find((u) => u.dir === 'packages/lib')?.files).toBe(1 + 4) // own + global (incl. lib-other, zzz.md)
  })

  test('dependency cycles are fine: each member covers the whole cycle', () => {
    const cyc: Component[] = [
      { dir: 'packages/lib', deps: ['packages/app'] },
      { dir: 'packages/app', deps: ['packages/lib'] }
    ]
    const a = computeKeys({ ...base, files: listing(tree), components: cyc })
    const edited = tree.map((x) => (x.path === 'packages/app/src/b.ts' ? f(x.path, 'edited') : x))
    const b = computeKeys({ ...base, files: listing(edited), components: cyc })
    expect(b.units.map((u, i) => u.key !== a.units[i].key)).toEqual([true, true])
  })

  test('describeDiff names the node version, additions, removals and truncates', () => {
    const a = computeKeys({ ...base, files: listing(tree), components: [] }).units[0].index
    const b = computeKeys({
      ...base,
      nodeVersion: 'v22.0.0',
      files: listing([...tree.slice(1), f('n1'), f('n2'), f('n3'), f('n4'), f('n5')]),
      components: []
    }).units[0].index
    const text = describeDiff(diffIndex(a, b), a, b)
    expect(text).toMatch(
      /^Node v20\.1\.0 → v22\.0\.0, n1 \(added\), n2 \(added\), n3 \(added\), n4 \(added\) and 2 more$/
    )
  })
})

describe('components', () => {
  test("directories read from git's bytes are those of the parsed list (nested, non-ASCII, files at the top)", () => {
    const list = [f('README.md'), f('a/b/c/x'), f('a/b/y'), f('a/z'), f('é/ü/1'), f('é/ü/2'), f('\u{1F600}/q')].sort(
      (x, y) => comparePaths(x.path, y.path)
    )
    const fromBytes = directories({ files: list, bytes: Buffer.from(fileText(list)) })
    expect([...fromBytes].sort()).toEqual([...directories({ files: list, bytes: undefined })].sort())
    expect([...fromBytes].sort()).toEqual(['a', 'a/b', 'a/b/c', 'é', 'é/ü', '\u{1F600}'].sort())
  })
  test('found by glob, linked by package.json dependency names; bad package.json is one clear error', async () => {
    const d = temp()
    write(d, 'packages/lib/package.json', JSON.stringify({ name: '@x/lib' }))
    write(
      d,
      'packages/app/package.json',
      JSON.stringify({ name: '@x/app', devDependencies: { '@x/lib': '*', react: '1' } })
    )
    write(d, 'apps/site/index.html', '')
    const list = [f('apps/site/index.html'), f('packages/app/package.json'), f('packages/lib/package.json')]
    const files = { files: list, bytes: undefined }
    const found = await findComponents(d, files, ['packages/*', 'apps/*'])
    // From git's bytes (a clean checkout) the same directories are found, by either search.
    const bytes = Buffer.from(fileText(list))
    expect(await findComponents(d, { files: list, bytes }, ['packages/*', 'apps/*'])).toEqual(found)
    expect(await findComponents(d, { files: list, bytes }, ['*/*'])).toEqual(found)
    expect(found).toEqual([
      { dir: 'apps/site', name: undefined, deps: [] },
      { dir: 'packages/app', name: '@x/app', deps: ['packages/lib'] },
      { dir: 'packages/lib', name: '@x/lib', deps: [] }
    ])
    await expect(findComponents(d, files, ['libs/*'])).rejects.toThrow(InputError)
    write(d, 'packages/lib/package.json', '{ nope')
    await expect(findComponents(d, files, ['packages/*'])).rejects.toThrow(UserError)
  })
})

describe('entries and the local backend', () => {
  async function staged(root: string, store: LocalBackend, key: string) {
    write(root, 'packages/a/dist/x.js', 'x\n')
    write(root, 'packages/a/dist/sub/y.js', 'y\n')
    write(root, 'packages/a/src/s.ts', 'src\n')
    const outputs = await collectOutputs(root, ['packages/a/dist'])
    expect(outputs).toEqual(['packages/a/dist/sub/y.js', 'packages/a/dist/x.js'])
    const dir = await store.stagingDir()
    const meta = await stageEntry(root, outputs, dir, { key, dir: 'packages/a', index: 'i\tindex\0' })
    return { dir, meta }
  }

  test('save, exists, restore with manifest check, corruption detected before writing', async () => {
    const root = temp()
    const store = new LocalBackend(join(root, '.cache'))
    const key = `gantry-Linux-X64-packages.a-${'a'.repeat(64)}`
    const s = await staged(root, store, key)
    expect(await store.save(key, 'gantry-Linux-X64-packages.a-', s.dir, s.meta)).toEqual({ status: 'saved' })
    const again = await staged(root, store, key)
    expect(await store.save(key, 'gantry-Linux-X64-packages.a-', again.dir, again.meta)).toMatchObject({
      status: 'exists',
      message: expect.stringContaining('already exists')
    })

    const entry = (await store.fetch(key))!
    rmSync(join(root, 'packages/a/dist'), { recursive: true })
    await restoreEntry(entry, root, true)
    expect(readFileSync(join(root, 'packages/a/dist/sub/y.js'), 'utf8')).toBe('y\n')

    writeFileSync(join(entry, 'files/packages/a/dist/x.js'), 'tampered')
    rmSync(join(root, 'packages/a/dist'), { recursive: true })
    await expect(restoreEntry(entry, root, true)).rejects.toThrow(CorruptEntry)
    expect(existsSync(join(root, 'packages/a/dist'))).toBe(false) // nothing half-restored

    const meta = JSON.parse(readFileSync(join(entry, ENTRY_FILE), 'utf8'))
    meta.files[0].path = '../../etc/passwd'
    writeFileSync(join(entry, ENTRY_FILE), JSON.stringify(meta))
    await expect(readEntryMeta(entry)).rejects.toThrow(/outside the work tree/)
    writeFileSync(join(entry, ENTRY_FILE), '{')
    await expect(readEntryMeta(entry)).rejects.toThrow(/not valid JSON/)

    await store.discard(key)
    expect(await store.fetch(key)).toBeUndefined()
  })

  test('outputs: globs below a component, no wandering into node_modules or through linked directories', async () => {
    const root = temp()
    write(root, 'packages/a/dist/x.wasm', 'x')
    write(root, 'packages/a/src/y.wasm', 'y')
    write(root, 'packages/a/src/y.ts', 'ts')
    write(root, 'packages/a/node_modules/dep/z.wasm', 'z')
    symlinkSync(join(root, 'packages'), join(root, 'packages/a/src/loop'))
    expect(await collectOutputs(root, ['packages/a/**/*.wasm'])).toEqual([
      'packages/a/dist/x.wasm',
      'packages/a/src/y.wasm'
    ])
    expect(await collectOutputs(root, ['packages/a/node_modules'])).toEqual(['packages/a/node_modules/dep/z.wasm'])
    expect(await collectOutputs(root, ['packages/b/dist'])).toEqual([])
  })

  test('previous finds the newest entry of the same unit only', async () => {
    const root = temp()
    const store = new LocalBackend(join(root, '.cache'))
    const keyA = `gantry-Linux-X64-packages.a-${'1'.repeat(64)}`
    const keyAB = `gantry-Linux-X64-packages.a-b-${'2'.repeat(64)}`
    const s = await staged(root, store, keyA)
    await store.save(keyA, '', s.dir, s.meta)
    const t = await staged(root, store, keyAB)
    await store.save(keyAB, '', t.dir, { ...t.meta, key: keyAB })
    expect((await store.previous('gantry-Linux-X64-packages.a-'))?.key).toBe(keyA)
    expect(await store.previous('gantry-Linux-X64-packages.c-')).toBeUndefined()
  })
})
