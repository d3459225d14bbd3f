// The harness must behave like the runner, or every e2e test proves nothing:
// check it against a probe script that echoes what the runner would give it.
import { describe, expect, test } from '@jest/globals'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseAnnotations, parseFileCommands, postIfHolds, runAction } from '../harness/runner.mjs'

// A stand-in bundle that reports its INPUT_*/STATE_* env through the file commands.
function probeDist(name: string): string {
  const root = mkdtempSync(join(tmpdir(), 'gantry-harness-'))
  mkdirSync(join(root, name))
  writeFileSync(
    join(root, name, 'index.js'),
    `
const fs = require('node:fs')
const isPost = process.env.STATE_isPost === 'true'
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('INPUT_') || k.startsWith('STATE_')))
if (!isPost) {
  fs.appendFileSync(process.env.GITHUB_STATE, 'isPost=true\\nplan<<EOF_1\\n' + JSON.stringify(env) + '\\nEOF_1\\n')
  if (${JSON.stringify(name)} === 'build-cache') fs.appendFileSync(process.env.GITHUB_OUTPUT, 'key<<DELIM\\nline1\\nline2\\nDELIM\\nhash=abc\\n')
  fs.appendFileSync(process.env.GITHUB_STEP_SUMMARY, '### main\\n')
  console.log('::warning file=a.yml,line=3,title=T%3A1::careful%0Anext line')
} else {
  fs.appendFileSync(process.env.GITHUB_OUTPUT, 'report=' + JSON.stringify(env) + '\\n')
}
`
  )
  return root
}

describe('runner harness', () => {
  test('inputs: upper-cased with hyphens kept, defaults filled, github.token evaluated; post gets STATE_*', async () => {
    const r = await runAction('build-cache', {
      distRoot: probeDist('build-cache'),
      inputs: { path: 'dist/**', 'key-prefix': 'x' }
    })
    expect(r.code).toBe(0)
    const mainEnv = JSON.parse(r.state.plan ?? '{}') as Record<string, string>
    expect(mainEnv).toMatchObject({
      INPUT_PATH: 'dist/**',
      'INPUT_KEY-PREFIX': 'x',
      INPUT_BACKEND: 'github',
      'INPUT_WORKING-DIRECTORY': '.',
      'INPUT_KEY-FILES': ''
    })
    expect(r.outputs).toEqual({ key: 'line1\nline2', hash: 'abc' })
    expect(r.summary).toBe('### main\n')
    expect(r.annotations).toEqual([
      { level: 'warning', message: 'careful\nnext line', file: 'a.yml', line: 3, title: 'T:1' }
    ])
    const postEnv = JSON.parse(r.post?.outputs.report ?? '{}') as Record<string, string>
    expect(postEnv.STATE_isPost).toBe('true')
    expect(postEnv['INPUT_KEY-PREFIX']).toBe('x')
  })

  test('the token default comes from the run', async () => {
    const r = await runAction('notify', {
      distRoot: probeDist('notify'),
      token: 'ghs_xyz',
      inputs: { status: 'success' }
    })
    expect(JSON.parse(r.state.plan ?? '{}')).toMatchObject({ INPUT_TOKEN: 'ghs_xyz', INPUT_STATUS: 'success' })
  })

  test('an undeclared input is a test bug', async () => {
    await expect(runAction('notify', { inputs: { nope: '1' } })).rejects.toThrow("notify has no input 'nope'")
  })

  test('an undeclared output fails the run', async () => {
    // build-cache does not declare "plan" as an output; a bundle setting it must be caught.
    const root = probeDist('notify')
    writeFileSync(
      join(root, 'notify', 'index.js'),
      `require('node:fs').appendFileSync(process.env.GITHUB_OUTPUT, 'bogus=1\\n')`
    )
    await expect(runAction('notify', { distRoot: root, inputs: { status: 'success' } })).rejects.toThrow(
      'notify set undeclared output(s): bogus'
    )
  })

  test('file-command and annotation parsing', () => {
    expect(parseFileCommands('a=1\nb<<X\nx\n\ny\nX\n')).toEqual({ a: '1', b: 'x\n\ny' })
    expect(() => parseFileCommands('b<<X\nnever closed\n')).toThrow(/unterminated/)
    expect(parseAnnotations('::error::boom\nplain\n::notice title=n::hi')).toEqual([
      { level: 'error', message: 'boom', file: undefined, line: undefined, title: undefined },
      { level: 'notice', message: 'hi', file: undefined, line: undefined, title: 'n' }
    ])
  })

  test("post-if: status functions and env.NAME == 'value' joined by ||, as the runner evaluates them", () => {
    const expr = "success() || env.GANTRY_BUILD_CACHE_SAVE_ALWAYS == 'true'"
    expect(postIfHolds(expr, 'success')).toBe(true)
    expect(postIfHolds(expr, 'failure')).toBe(false)
    expect(postIfHolds(expr, 'failure', { GANTRY_BUILD_CACHE_SAVE_ALWAYS: 'true' })).toBe(true)
    expect(postIfHolds(expr, 'cancelled', { GANTRY_BUILD_CACHE_SAVE_ALWAYS: 'TRUE' })).toBe(true) // strings compare ignoring case
    expect(postIfHolds(expr, 'failure', { GANTRY_BUILD_CACHE_SAVE_ALWAYS: 'false' })).toBe(false)
    expect(postIfHolds(`\${{ ${expr} }}`, 'failure', { GANTRY_BUILD_CACHE_SAVE_ALWAYS: 'true' })).toBe(true)
    expect(postIfHolds(undefined, 'failure')).toBe(true) // the runner's default is always()
    expect(postIfHolds('failure() || cancelled()', 'cancelled')).toBe(true)
    expect(() => postIfHolds('inputs.save == "always"', 'success')).toThrow(/unsupported post-if/)
  })
})
