// The POSIX single-quote escaper that every word of an ssh remote command goes
// through: hostile strings must come out of a real shell byte for byte, and
// nothing in them may run.
import { afterAll, describe, expect, test } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { remoteCommand, rsyncWord, shq } from '../../packages/release/src/ssh/quote.js'
import { QuoteError, sshPath } from '../../packages/release/src/ssh/quote.js'

const HOSTILE = [
  '',
  ' ',
  "'",
  "''",
  "'\\''",
  "it's",
  '"',
  '"$(touch PWNED)"',
  '$(touch PWNED)',
  '`touch PWNED`',
  '${HOME}',
  '$HOME',
  '$1 $@ $* $# $? $$ $!',
  '\\',
  '\\\\',
  "\\'",
  'a\nb',
  '\n',
  '\r\n',
  '\t',
  '; touch PWNED',
  '&& touch PWNED',
  '| touch PWNED',
  '> PWNED',
  '< /etc/passwd',
  '* ? [a-z] {a,b}',
  '~',
  '~root',
  '!!',
  '!$',
  '# comment',
  '-rf',
  '--',
  '-c',
  'ünïcödé ✓ 🚀',
  '%s %n %%',
  "'; touch PWNED; echo '",
  "\\'; touch PWNED #",
  'x'.repeat(10_000),
  Array.from({ length: 126 }, (_, i) => String.fromCharCode(i + 1)).join('')
]

/** What a shell makes of `printf '%s\0' <words>`: the words it saw. */
function throughShell(shell: string, words: string[], cwd: string): string[] {
  const line = `printf '%s\\0' ${words.map(shq).join(' ')}`
  const out = execFileSync(shell, ['-c', line], { cwd, env: { PATH: process.env.PATH, HOME: '/nonexistent' } })
  const parts = out.toString('utf8').split('\0')
  parts.pop()
  return parts
}

describe('shq', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'gantry-shq-'))
  afterAll(() => rmSync(cwd, { recursive: true, force: true }))

  for (const shell of ['/bin/sh', 'bash']) {
    test(`every hostile string survives ${shell} as one literal word, and nothing runs`, () => {
      expect(throughShell(shell, HOSTILE, cwd)).toEqual(HOSTILE)
      expect(readdirSync(cwd)).toEqual([])
    })
  }

  test('random strings of every byte but NUL round-trip', () => {
    let seed = 42
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
    const words = Array.from({ length: 300 }, () =>
      Array.from({ length: Math.floor(rnd() * 20) }, () => String.fromCharCode(1 + Math.floor(rnd() * 126))).join('')
    )
    expect(throughShell('/bin/sh', words, cwd)).toEqual(words)
    expect(readdirSync(cwd)).toEqual([])
  })

  test('the result is always one single-quoted word', () => {
    for (const s of HOSTILE) expect(shq(s)).toMatch(/^'([^']|'\\'')*'$/)
    expect(shq("it's")).toBe(`'it'\\''s'`)
  })

  test('NUL cannot be quoted and is refused', () => {
    expect(() => shq('a\0b')).toThrow(QuoteError)
  })

  test('remoteCommand: what sshd hands to the login shell runs the script with the exact arguments', () => {
    // sshd runs `$SHELL -c "<command line>"`; the script prints its arguments.
    const cmd = remoteCommand(`for a in "$@"; do printf '%s\\0' "$a"; done`, 'gantry-test', HOSTILE)
    for (const shell of ['/bin/sh', 'bash']) {
      const out = execFileSync(shell, ['-c', cmd], { cwd }).toString('utf8').split('\0')
      out.pop()
      expect(out).toEqual(HOSTILE)
    }
    expect(existsSync(join(cwd, 'PWNED'))).toBe(false)
  })
})

describe('rsyncWord and sshPath', () => {
  test('plain words pass; spaces are single- or double-quoted; both quote kinds are refused', () => {
    expect(rsyncWord('/tmp/a-b_c.d')).toBe('/tmp/a-b_c.d')
    expect(rsyncWord('-oBatchMode=yes')).toBe('-oBatchMode=yes')
    expect(rsyncWord('a b')).toBe("'a b'")
    expect(rsyncWord("it's here")).toBe(`"it's here"`)
    expect(() => rsyncWord(`it's "both"`)).toThrow(QuoteError)
  })

  test("ssh option paths: % is escaped (ssh's token character); whitespace and quotes are refused", () => {
    expect(sshPath('/tmp/gantry-ssh-x/id')).toBe('/tmp/gantry-ssh-x/id')
    expect(sshPath('/tmp/100%/id')).toBe('/tmp/100%%/id')
    expect(() => sshPath('/tmp/a b/id')).toThrow(QuoteError)
    expect(() => sshPath("/tmp/a'b/id")).toThrow(QuoteError)
  })
})
