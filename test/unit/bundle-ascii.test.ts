// Bundles are written in ASCII (scripts/ascii.mjs): V8 keeps a script's source
// at two bytes per character as soon as it holds one non-Latin-1 character.
import { describe, expect, test } from '@jest/globals'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runInNewContext } from 'node:vm'
// @ts-expect-error: a plain .mjs script, typed by its JSDoc
import { asciiOnly } from '../../scripts/ascii.mjs'

const escape = asciiOnly as (code: string, file: string) => string
const dist = fileURLToPath(new URL('../../dist', import.meta.url))

describe('asciiOnly', () => {
  test('the escaped program computes the same values', () => {
    const program = [
      'const ok = "✅ passed — 3 of 3"',
      "const quote = 'zoë → ≥ 5×'",
      'const tpl = `…${ok.length}…`',
      'const plain = /[—–]+/.test("a — b")',
      'const unicode = /^[✅❌]$/u.test("✅") && /^\\u{1F600}|😀$/u.test("😀")',
      'const π = 3',
      '// a comment — with a dash',
      ';[ok, quote, tpl, plain, unicode, π, "😀".length]'
    ].join('\n')
    const out = escape(program, 'x.js')
    expect(out).not.toMatch(/[\u0080-\uffff]/)
    expect(runInNewContext(out)).toEqual(runInNewContext(program))
    expect(runInNewContext(out)).toEqual(['✅ passed — 3 of 3', 'zoë → ≥ 5×', '…17…', true, true, 3, 2])
  })
  test('escaped backslashes before a character stay escaped backslashes', () => {
    const program = String.raw`"a\\—b"`
    expect(runInNewContext(escape(program, 'x.js'))).toBe(runInNewContext(program))
  })
  test('a tagged template with non-ASCII text is refused (its tag would read the escape); an untagged one is kept', () => {
    expect(() => escape('const a = 1\nconst s = String.raw`a — b`', 'dist/x/index.js')).toThrow(
      'dist/x/index.js:2: a tagged template with non-ASCII text'
    )
    expect(runInNewContext(escape('`a — b ${String.raw`c`}`', 'x.js'))).toBe('a — b c')
  })
  test('an identity escape of a non-ASCII character is refused with its place', () => {
    expect(() => escape('const a = 1\nconst s = "\\—"', 'dist/x/index.js')).toThrow(
      'dist/x/index.js:2: a backslash before a non-ASCII character'
    )
  })
})

describe('committed bundles', () => {
  const files = readdirSync(dist, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(join(dist, d.name))
        .filter((f) => f.endsWith('.js'))
        .map((f) => `${d.name}/${f}`)
    )
  test.each(files)('dist/%s is ASCII', (f) => {
    const text = readFileSync(join(dist, f), 'utf8')
    const at = text.search(/[\u0080-\uffff]/)
    expect(at < 0 ? 'ASCII' : `non-ASCII at offset ${at}`).toBe('ASCII')
  })
})
