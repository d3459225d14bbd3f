// build-cache `save` against the job's status, through the harness as the
// runner runs it: post-if is `success() || env.GANTRY_BUILD_CACHE_SAVE_ALWAYS
// == 'true'`, where main sets that variable (GITHUB_ENV) for save: always.
import { describe, expect, jest, test } from '@jest/globals'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { loadActionYml, runAction, type RunOptions, type StepResult } from '../harness/runner.mjs'
import { git, tempDirs, write } from '../helpers/git-tree.js'

jest.setTimeout(120_000)

const VAR = 'GANTRY_BUILD_CACHE_SAVE_ALWAYS'
const temp = tempDirs('gantry-bc-save-')

/** A committed repo with two packages; dist/ ignored. */
function repo(): { ws: string; cache: string } {
  const base = temp()
  const ws = join(base, 'ws')
  write(ws, '.gitignore', 'dist/\n')
  write(ws, 'packages/a/package.json', JSON.stringify({ name: '@s/a' }))
  write(ws, 'packages/a/src/index.js', 'export const a = 1\n')
  write(ws, 'packages/b/package.json', JSON.stringify({ name: '@s/b' }))
  write(ws, 'packages/b/src/index.js', 'export const b = 2\n')
  git(ws, 'init', '-q')
  git(ws, 'add', '-A')
  git(ws, 'commit', '-q', '-m', 'init')
  return { ws, cache: join(base, 'cache') }
}

function entries(cache: string): string[] {
  return existsSync(cache) ? readdirSync(cache).filter((n) => !n.startsWith('.')) : []
}

function warnings(r: StepResult): string[] {
  return r.annotations.filter((a) => a.level === 'warning').map((a) => a.message)
}

/** One build-cache step of a job: main, the build (dist/ of what changed), then, if post-if holds, post. */
function step(ws: string, cache: string, inputs: Record<string, string>, extra: Partial<RunOptions> = {}) {
  return runAction('build-cache', {
    workspace: ws,
    inputs: { path: 'dist', components: 'packages/*', backend: 'local', 'local-dir': cache, ...inputs },
    beforePost: (main) => {
      for (const d of JSON.parse(main.outputs.changed ?? '[]') as string[]) write(ws, `${d}/dist/out.js`, '// built\n')
    },
    ...extra
  })
}

describe('build-cache save and the job status', () => {
  test("action.yml's post-if reads the variable main sets", () => {
    expect(loadActionYml('build-cache').runs['post-if']).toBe(`success() || env.${VAR} == 'true'`)
  })

  test('save: always in a failing job: main sets the variable, the post step runs and saves', async () => {
    const { ws, cache } = repo()
    const r = await step(ws, cache, { save: 'always' }, { jobStatus: 'failure' })
    expect(r.code).toBe(0)
    expect(r.env).toEqual({ [VAR]: 'true' })
    expect(r.post?.code).toBe(0)
    expect(r.post?.summary).toContain('saved 2/2 (save: always)')
    expect(entries(cache)).toHaveLength(2)
    // The next run restores what the failed job saved.
    rmSync(join(ws, 'packages/a/dist'), { recursive: true })
    const next = await step(ws, cache, {}, { post: false })
    expect(JSON.parse(next.outputs.unchanged)).toEqual(['packages/a', 'packages/b'])
    expect(existsSync(join(ws, 'packages/a/dist/out.js'))).toBe(true)
  })

  test('save: on-success in a failing job: no variable, the runner skips the post step, nothing is saved', async () => {
    const { ws, cache } = repo()
    const r = await step(ws, cache, { save: 'on-success' }, { jobStatus: 'failure' })
    expect(r.env).toEqual({})
    expect(r.post).toBeUndefined()
    expect(entries(cache)).toEqual([])
    // The same step in a job that succeeds saves.
    const ok = await step(ws, cache, {}, { jobStatus: 'success' })
    expect(ok.post?.summary).toContain('saved 2/2 (save: on-success)')
    expect(entries(cache)).toHaveLength(2)
  })

  test('save: never: no variable; skipped in a failing job, saves nothing in a successful one', async () => {
    const { ws, cache } = repo()
    const failed = await step(ws, cache, { save: 'never' }, { jobStatus: 'failure' })
    expect(failed.env).toEqual({})
    expect(failed.post).toBeUndefined()
    const ok = await step(ws, cache, { save: 'never' }, { jobStatus: 'success' })
    expect(ok.post?.summary).toContain('not saving (save: never)')
    expect(entries(cache)).toEqual([])
  })

  test('two steps in one job, always and on-success: the on-success post runs too and, unable to tell the status, saves nothing', async () => {
    const { ws, cache } = repo()
    const alwaysCache = join(cache, 'always')
    const onSuccessCache = join(cache, 'on-success')
    // Step 1 (save: always) runs first; what it wrote to GITHUB_ENV is in the job's env for every later step.
    const first = await step(ws, alwaysCache, { save: 'always' }, { jobStatus: 'failure', post: false })
    expect(first.env).toEqual({ [VAR]: 'true' })
    const jobEnv = first.env

    // Step 2 (save: on-success), failing job: post-if holds through the variable; the post step does not save.
    const second = await step(ws, onSuccessCache, { save: 'on-success' }, { jobStatus: 'failure', env: jobEnv })
    expect(second.post?.code).toBe(0)
    expect(warnings(second.post!)).toEqual([
      expect.stringMatching(
        /^build-cache: not saving \(save: on-success\): another build-cache step of this job has save: always/
      )
    ])
    expect(second.post?.summary).toContain("the job's status is unknown")
    expect(entries(onSuccessCache)).toEqual([])

    // The same in a job that succeeded: still not saved (the post step cannot tell the two apart).
    const succeeded = await step(ws, onSuccessCache, { save: 'on-success' }, { jobStatus: 'success', env: jobEnv })
    expect(warnings(succeeded.post!)).toHaveLength(1)
    expect(entries(onSuccessCache)).toEqual([])

    // Step 1's post (the runner runs posts last, in reverse order) saves, whatever the status.
    const firstPost = await step(ws, alwaysCache, { save: 'always' }, { jobStatus: 'failure', env: jobEnv })
    expect(firstPost.post?.summary).toContain('saved 2/2 (save: always)')
    expect(entries(alwaysCache)).toHaveLength(2)
  })
})
