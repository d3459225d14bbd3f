/**
 * Quoting for the two places a string meets a command line we do not spawn
 * ourselves: the remote user's shell (ssh joins its arguments into one command
 * line that sshd hands to `$SHELL -c`) and rsync's own `-e` splitter.
 */

export class QuoteError extends Error {}

/**
 * POSIX single-quote escaping: `'` + s with every `'` as `'\''` + `'`. Inside
 * single quotes a POSIX shell (sh, dash, bash, ksh, zsh) takes every byte
 * literally, so the result is one word whatever s holds. NUL cannot travel in
 * a command line at all.
 */
export function shq(s: string): string {
  if (s.includes('\0')) throw new QuoteError('a NUL byte cannot be passed in a command line')
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/** The remote command line `sh -c '<script>' <name> '<arg>'…`: every word quoted. */
export function remoteCommand(script: string, name: string, args: readonly string[]): string {
  return ['sh', '-c', script, name, ...args].map(shq).join(' ')
}

/**
 * One word of rsync's `-e` command: rsync splits it on spaces and honours
 * single and double quotes, but no backslash escapes, so a word holding both
 * quote kinds cannot be expressed.
 */
export function rsyncWord(s: string): string {
  if (/^[A-Za-z0-9._/=:@%+,-]+$/.test(s)) return s
  if (!s.includes("'")) return `'${s}'`
  if (!s.includes('"')) return `"${s}"`
  throw new QuoteError(`cannot pass '${s}' to rsync -e (it holds both quote characters)`)
}

/** A path in an ssh option: `%` starts a token there (IdentityFile, ControlPath, UserKnownHostsFile). */
export function sshPath(p: string): string {
  if (/[\s"'\\]/.test(p))
    throw new QuoteError(`path '${p}' holds whitespace, a quote or a backslash; ssh options cannot carry it`)
  return p.replace(/%/g, '%%')
}
