/**
 * `activate` is a command line split into arguments the way a shell would quote
 * them ('…', "…", backslash), but run without a shell: pipes, redirections,
 * `;`, `&&` and substitutions are refused rather than silently passed as text.
 */
export class CommandError extends Error {}

export const COMMAND_FORM =
  "a command and its arguments, quoted like a shell ('a b', \"a b\"), without pipes, redirections, ';', '&&' or $(…) (it runs without a shell)"

export function splitCommand(text: string): string[] {
  const out: string[] = []
  let cur = ''
  let has = false
  let i = 0
  const s = text.trim()
  while (i < s.length) {
    const c = s[i]
    if (c === "'") {
      const end = s.indexOf("'", i + 1)
      if (end < 0) throw new CommandError('unterminated single quote')
      cur += s.slice(i + 1, end)
      has = true
      i = end + 1
    } else if (c === '"') {
      i++
      for (;;) {
        if (i >= s.length) throw new CommandError('unterminated double quote')
        const d = s[i]
        if (d === '"') break
        if (d === '\\' && i + 1 < s.length && '"\\$`'.includes(s[i + 1])) {
          cur += s[i + 1]
          i += 2
          continue
        }
        if (d === '`' || (d === '$' && s[i + 1] === '('))
          throw new CommandError('command substitution is not supported')
        cur += d
        i++
      }
      has = true
      i++
    } else if (c === '\\') {
      if (i + 1 < s.length) cur += s[i + 1]
      has = true
      i += 2
    } else if (/\s/.test(c)) {
      if (has) out.push(cur)
      cur = ''
      has = false
      i++
    } else if ('|&;<>`'.includes(c) || (c === '$' && s[i + 1] === '(')) {
      throw new CommandError(`'${c === '$' ? '$(' : c}' needs a shell, and activate runs without one`)
    } else {
      cur += c
      has = true
      i++
    }
  }
  if (has) out.push(cur)
  if (out.length === 0) throw new CommandError('empty command')
  return out
}
