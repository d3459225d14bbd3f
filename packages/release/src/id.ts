/** Release ids: `<UTC yyyymmddThhmmssZ>-<sha7>` by default; any safe name when given. */

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

export const RELEASE_ID_FORM =
  'a release id of letters, digits, ".", "_" or "-" (at most 128, not starting with "." or "-")'

export function isValidReleaseId(id: string): boolean {
  return SAFE.test(id) && !id.includes('..')
}

/** `20261123T180455Z`: UTC, to the second. */
export function compactStamp(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
}

/** `20261123T180455Z-0123456`; sha7 is `local` when there is no commit sha. */
export function defaultReleaseId(at: Date, sha: string | undefined): string {
  const stamp = compactStamp(at)
  const short = sha && /^[0-9a-f]{7,}$/i.test(sha) ? sha.slice(0, 7).toLowerCase() : 'local'
  return `${stamp}-${short}`
}

/** A default id not yet taken: two deploys of one commit in the same second get `-2`, `-3`, … */
export function uniqueId(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`
}
