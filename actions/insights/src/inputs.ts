/** insights' inputs (names.ts); github, token, html and record come later (issue 20). */
import { fields, optional, stringField, type InputShape } from '@gantry/core'

export interface EnvironmentPath {
  name: string
  path: string
}

const ENV_FORM = "'name=path' lines, such as production=/srv/app (a name may repeat: one line per host)"

/** `name=path` lines; a name may repeat (its hosts). */
const environments = stringField((s, fail): EnvironmentPath[] | undefined => {
  if (s === '') return undefined
  const out: EnvironmentPath[] = []
  for (const raw of s.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const eq = line.indexOf('=')
    const name = line.slice(0, eq).trim()
    const path = line.slice(eq + 1).trim()
    if (eq < 0 || name === '' || path === '' || path.includes('\0'))
      return fail(`expected ${ENV_FORM}; '${line}' is not one`)
    out.push({ name, path })
  }
  return out.length ? out : fail(`expected ${ENV_FORM}`)
})

export const inputs = {
  path: optional(fields.path()),
  environments,
  window: fields.duration(1),
  'repository-path': optional(fields.path())
} satisfies InputShape<'insights'>
