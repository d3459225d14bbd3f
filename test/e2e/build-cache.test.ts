// build-cache through the harness (main + post, as the runner runs them) on a
// generated git monorepo with the local backend.
import { afterAll, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { runAction, type RunOptions, type RunResult } from '../harness/runner.mjs'
import { git, write } from '../helpers/git-tree.js'

// Each test runs several node and git processes; the machine may be busy (no speed is asserted).
jest.setTimeout(120_000)

const temps: string[] = []
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })))

/** lib ← app (dependency), lib ← admin (devDependency), web alone; dist/ and *.log ignored. */
function makeMonorepo(): { ws: string; cache: string } {
  const base = mkdtempSync(join(tmpdir(), 'gantry-bc-e2e-'))
  temps.push(base)
  const ws = join(base, 'ws')
  mkdirSync(ws)
  write(ws, 'package.json', JSON.stringify({ name: 'mono', private: true, workspaces: ['packages/*'] }))
  write(ws, 'package-lock.json', JSON.stringify({ lockfileVersion: 3 }))
  write(ws, '.gitignore', 'node_modules/\ndist/\n*.log\n')
  const pkgs: Record<string, object> = {
    lib: { name: '@m/lib' },
    app: { name: '@m/app', dependencies: { '@m/lib': 'workspace:*' } },
    admin: { name: '@m/admin', devDependencies: { '@m/lib': '*' } },
    web: { name: '@m/web' }
  }
  for (const [dir, pkg] of Object.entries(pkgs)) {
    write(ws, `packages/${dir}/package.json`, JSON.stringify(pkg))
    write(ws, `packages/${dir}/src/index.js`, `export const name = '${dir}'\n`)
  }
  git(ws, 'init', '-q')
  git(ws, 'add', '-A')
  git(ws, 'commit', '-q', '-m', 'init')
  return { ws, cache: join(base, 'cache') }
}

/** The "build": dist/out.js from src, for the components main said changed. */
function build(ws: string, dirs: string[]): void {
  for (const d of dirs) {
    const src = d === '.' ? 'packages/web/src/index.js' : `${d}/src/index.js`
    write(ws, `${d}/dist/out.js`, `// built\n${readFileSync(join(ws, src), 'utf8')}`)
  }
}

const ALL = ['packages/admin', 'packages/app', 'packages/lib', 'packages/web']

function job(ws: string, cache: string, extra: Partial<RunOptions> = {}, inputs: Record<string, string> = {}) {
  return runAction('build-cache', {
    workspace: ws,
    inputs: { path: 'dist', components: 'packages/*', backend: 'local', 'local-dir': cache, ...inputs },
    beforePost: (main) => build(ws, JSON.parse(main.outputs.changed ?? '[]') as string[]),
    timeoutMs: 60_000,
    ...extra
  })
}

function changed(r: RunResult): string[] {
  return JSON.parse(r.outputs.changed) as string[]
}

function entries(cache: string): string[] {
  return existsSync(cache) ? readdirSync(cache).filter((n) => !n.startsWith('.')) : []
}

function warnings(r: { annotations: RunResult['annotations'] }): string[] {
  return r.annotations.filter((a) => a.level === 'warning').map((a) => a.message)
}

describe('build-cache (local backend, git monorepo)', () => {
  let ws: string
  let cache: string
  beforeEach(() => {
    ;({ ws, cache } = makeMonorepo())
  })

  test('miss → build → save, then a hit restores the outputs', async () => {
    const first = await job(ws, cache)
    expect(first.code).toBe(0)
    expect(first.outputs['cache-hit']).toBe('false')
    expect(changed(first)).toEqual(ALL)
    expect(first.outputs.unchanged).toBe('[]')
    expect(first.outputs.key).toMatch(/^gantry-Linux-X64-[0-9a-f]{64}$/)
    expect(first.outputs.key).toBe(`gantry-Linux-X64-${first.outputs.hash}`)
    expect(first.summary).toContain('no earlier entry for this component')
    expect(first.post?.code).toBe(0)
    expect(first.post?.summary).toContain('saved 4/4')
    expect(entries(cache)).toHaveLength(4)

    const report = JSON.parse(readFileSync(first.outputs.report, 'utf8'))
    expect(report).toMatchObject({ schema: 1, action: 'build-cache', ok: true, cacheHit: false })
    expect(report.listing).toMatchObject({ source: 'git' })

    // A fresh checkout: the outputs are gone; the same inputs give the same keys and a full restore.
    for (const d of ALL) rmSync(join(ws, d, 'dist'), { recursive: true })
    const second = await job(ws, cache)
    expect(second.code).toBe(0)
    expect(second.outputs['cache-hit']).toBe('true')
    expect(second.outputs.key).toBe(first.outputs.key)
    expect(changed(second)).toEqual([])
    expect(JSON.parse(second.outputs.unchanged)).toEqual(ALL)
    expect(readFileSync(join(ws, 'packages/app/dist/out.js'), 'utf8')).toBe("// built\nexport const name = 'app'\n")
    expect(second.summary).toContain('✅ hit')
    expect(second.post?.summary).toContain('nothing to save')
    expect(warnings(second)).toEqual([])
  })

  test('an edit in one package changes exactly it and its dependents, and says which input changed', async () => {
    await job(ws, cache)
    write(ws, 'packages/lib/src/index.js', "export const name = 'lib v2'\n")
    const r = await job(ws, cache)
    expect(changed(r)).toEqual(['packages/admin', 'packages/app', 'packages/lib'])
    expect(JSON.parse(r.outputs.unchanged)).toEqual(['packages/web'])
    expect(r.summary).toMatch(/`packages\/lib` \| 🔨 miss \|[^\n]*packages\/lib\/src\/index\.js \(modified\)/)
    expect(r.summary).toMatch(/`packages\/app` \| 🔨 miss \|[^\n]*dependency packages\/lib \(modified\)/)
    // The post step rebuilt and saved the three that missed: now everything hits.
    const again = await job(ws, cache)
    expect(again.outputs['cache-hit']).toBe('true')
    expect(readFileSync(join(ws, 'packages/app/dist/out.js'), 'utf8')).toContain("'app'")

    // A change to a file outside every component (global input) changes them all.
    write(ws, 'tsconfig.json', '{}')
    expect(changed(await job(ws, cache, { post: false }))).toEqual(ALL)
  })

  test('a corrupted entry is a miss with a warning, nothing is restored from it, and post replaces it', async () => {
    await job(ws, cache)
    const entry = entries(cache).find((n) => n.includes('packages.web-')) as string
    writeFileSync(join(cache, entry, 'files/packages/web/dist/out.js'), 'tampered')
    rmSync(join(ws, 'packages/web/dist'), { recursive: true })
    const r = await job(ws, cache, { beforePost: () => undefined })
    expect(r.code).toBe(0)
    expect(changed(r)).toEqual(['packages/web'])
    expect(warnings(r).some((w) => /packages\/web is corrupted .*does not match its sha256/.test(w))).toBe(true)
    expect(r.summary).toContain('corrupted')
    expect(existsSync(join(ws, 'packages/web/dist/out.js'))).toBe(false)
    // Without a build there is nothing to save; a warning says so.
    expect(warnings(r.post!).some((w) => w.includes('no file matches path'))).toBe(true)

    const rebuilt = await job(ws, cache)
    expect(changed(rebuilt)).toEqual(['packages/web'])
    expect(rebuilt.post?.summary).toContain('saved 1/1')
    const hit = await job(ws, cache)
    expect(hit.outputs['cache-hit']).toBe('true')
    expect(readFileSync(join(ws, 'packages/web/dist/out.js'), 'utf8')).toContain("'web'")
  })

  test('verify: false restores without checking the manifest; key-prefix names the keys', async () => {
    const first = await job(ws, cache, {}, { 'key-prefix': 'shop-v2' })
    expect(first.outputs.key).toMatch(/^shop-v2-Linux-X64-[0-9a-f]{64}$/)
    expect(entries(cache).every((n) => n.startsWith('shop-v2-Linux-X64-packages.'))).toBe(true)
    const entry = entries(cache).find((n) => n.includes('packages.web-')) as string
    writeFileSync(join(cache, entry, 'files/packages/web/dist/out.js'), 'tampered')
    rmSync(join(ws, 'packages/web/dist'), { recursive: true })
    const r = await job(ws, cache, { post: false }, { 'key-prefix': 'shop-v2', verify: 'false' })
    expect(r.outputs['cache-hit']).toBe('true')
    expect(readFileSync(join(ws, 'packages/web/dist/out.js'), 'utf8')).toBe('tampered')
    // Another prefix shares nothing.
    expect(changed(await job(ws, cache, { post: false }))).toEqual(ALL)
  })

  test('untracked files count, ignored files do not', async () => {
    await job(ws, cache)
    write(ws, 'packages/web/debug.log', 'ignored by .gitignore')
    write(ws, 'packages/app/dist/extra.js', 'an output, and ignored')
    const ignored = await job(ws, cache, { post: false })
    expect(ignored.outputs['cache-hit']).toBe('true')

    write(ws, 'packages/web/src/new.js', 'export const added = 1\n')
    const untracked = await job(ws, cache, { post: false })
    expect(changed(untracked)).toEqual(['packages/web'])
    expect(untracked.summary).toContain('packages/web/src/new.js (added)')
    expect(untracked.outputs.key).not.toBe(ignored.outputs.key)
  })

  test('outside a git checkout the file walk gives the same keys', async () => {
    const first = await job(ws, cache, { post: false })
    const whole = await job(ws, cache, { post: false }, { components: '' })
    const plain = join(dirname(ws), 'plain')
    // A plain copy of what is tracked (no .git, no ignored build output).
    cpSync(ws, plain, { recursive: true, filter: (src) => !src.split('/').some((s) => s === '.git' || s === 'dist') })
    const noBuild = { post: false, beforePost: () => undefined }
    const r = await job(plain, cache, noBuild)
    expect(r.code).toBe(0)
    expect(r.outputs.key).toBe(first.outputs.key)
    expect(JSON.parse(readFileSync(r.outputs.report, 'utf8')).listing.source).toBe('walk')
    // The whole tree too: git's text as it is (clean checkout) equals the walk's.
    expect((await job(plain, cache, noBuild, { components: '' })).outputs.key).toBe(whole.outputs.key)
    // And a modified-then-restored file in git (hashed by us) gives the key git's index gives.
    write(ws, 'packages/web/src/index.js', 'changed\n')
    write(ws, 'packages/web/src/index.js', "export const name = 'web'\n")
    expect((await job(ws, cache, { post: false }, { components: '' })).outputs.key).toBe(whole.outputs.key)
  })

  test('save: never saves nothing; on-success saves nothing when the job failed', async () => {
    const never = await job(ws, cache, {}, { save: 'never' })
    expect(never.post?.code).toBe(0)
    expect(never.post?.summary).toContain('save: never')
    expect(entries(cache)).toEqual([])

    // post-if: success() — the runner skips the post step of a failed job, so nothing partial is saved.
    const failed = await job(ws, cache, { jobStatus: 'failure' })
    expect(failed.post).toBeUndefined()
    expect(entries(cache)).toEqual([])
  })

  test('backend github on a runner without the cache service: a warning, a miss, the job goes on', async () => {
    const r = await job(ws, cache, {}, { backend: 'github', 'local-dir': '' })
    expect(r.code).toBe(0)
    expect(changed(r)).toEqual(ALL)
    expect(warnings(r)).toEqual([expect.stringMatching(/cache service is not available/)])
    expect(r.post?.code).toBe(0)
    expect(warnings(r.post!)).toEqual([expect.stringMatching(/cache service is not available/)])
    expect(r.post?.summary).toContain('❌ not saved')
  })

  test('without components: one key for the tree; key-files narrows the inputs', async () => {
    const r = await job(ws, cache, {}, { components: '', 'key-files': 'packages/web/**' })
    expect(changed(r)).toEqual(['.'])
    write(ws, 'packages/lib/src/index.js', 'outside key-files\n')
    const r2 = await job(ws, cache, { post: false }, { components: '', 'key-files': 'packages/web/**' })
    expect(r2.outputs['cache-hit']).toBe('true')
    expect(r2.outputs.key).toBe(r.outputs.key)
    write(ws, 'package-lock.json', JSON.stringify({ lockfileVersion: 3, packages: {} }))
    const r3 = await job(ws, cache, { post: false }, { components: '', 'key-files': 'packages/web/**' })
    expect(r3.outputs['cache-hit']).toBe('false')
    expect(r3.summary).toContain('package-lock.json (modified)')
  })
})

describe('build-cache bad inputs fail with one line before any side effect', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['path missing', { path: '' }, /^Input 'path' is required: expected globs/],
    ['path unbalanced bracket', { path: 'dist/[a' }, /^Input 'path' has invalid value 'dist\/\[a': .*not a valid glob/],
    [
      'path leaving the tree',
      { path: '../elsewhere' },
      /^Input 'path' has invalid value '\.\.\/elsewhere': .*leaves working-directory/
    ],
    [
      'absolute key-files',
      { 'key-files': '/etc/**' },
      /^Input 'key-files' has invalid value '\/etc\/\*\*': .*absolute/
    ],
    ['backend', { backend: 'ftp' }, /^Input 'backend' has invalid value 'ftp': expected one of github, local$/],
    [
      'save',
      { save: 'sometimes' },
      /^Input 'save' has invalid value 'sometimes': expected one of on-success, always, never$/
    ],
    ['verify', { verify: 'yes' }, /^Input 'verify' has invalid value 'yes': expected true or false$/],
    ['key-prefix', { 'key-prefix': 'a,b' }, /^Input 'key-prefix' has invalid value 'a,b': expected letters/],
    ['local-dir missing', { 'local-dir': '' }, /^Input 'local-dir' is required when backend is 'local'/],
    [
      'working-directory',
      { 'working-directory': 'no/such/dir' },
      /^Input 'working-directory' has invalid value 'no\/such\/dir': expected an existing directory$/
    ],
    [
      'components matching nothing',
      { components: 'pkgs/*' },
      /^Input 'components' has invalid value 'pkgs\/\*': it matches no directory/
    ],
    [
      'key-files matching nothing',
      { components: '', 'key-files': 'nothing/**' },
      /^Input 'key-files' has invalid value 'nothing\/\*\*': it matches no file/
    ]
  ]
  test.each(cases)('%s', async (_label, inputs, message) => {
    const { ws, cache } = makeMonorepo()
    const r = await runAction('build-cache', {
      workspace: ws,
      inputs: { path: 'dist', components: 'packages/*', backend: 'local', 'local-dir': cache, ...inputs }
    })
    expect(r.code).toBe(1)
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0].message).toMatch(message)
    expect(errors[0].message).not.toContain('\n')
    expect(r.stdout).not.toMatch(/\n\s+at /) // no stack trace
    // No side effect: no outputs, no state for a post step, no cache directory, no report.
    expect(r.outputs).toEqual({})
    expect(r.state).toEqual({})
    expect(existsSync(cache)).toBe(false)
    expect(existsSync(join(r.workDir, 'runner-temp', 'gantry'))).toBe(false)
    expect(r.post).toBeUndefined()
  })
})
