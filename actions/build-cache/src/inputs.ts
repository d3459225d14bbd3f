/** build-cache's inputs, one zod field per name in names.ts (the contract test holds action.yml to this). */
import { fields, parseList, stringField, type Field } from '@gantry/core'
import { backendInputs, checkGlob } from '@gantry/cachekey'

const GLOBS_FORM = "globs relative to working-directory, one per line (e.g. 'dist' or 'packages/*'; '!' excludes)"

/** Globs, one per line, each checked (relative, no '..', balanced brackets) before anything runs. */
function globs(isRequired: boolean): Field<string[]> {
  return stringField((s, fail) => {
    const list = parseList(s)
    if (list.length === 0 && isRequired) return fail(`is required: expected ${GLOBS_FORM}`)
    try {
      list.forEach(checkGlob)
      if (list.length > 0 && list.every((g) => g.startsWith('!'))) throw new Error('only exclusions (!) select nothing')
    } catch (e) {
      return fail(`expected ${GLOBS_FORM}; ${e instanceof Error ? e.message : String(e)}`)
    }
    return list
  })
}

const PREFIX_FORM = 'letters, digits, ".", "_" or "-" (at most 100 characters)'

const keyPrefix: Field<string> = stringField((s, fail) =>
  /^[A-Za-z0-9._-]{1,100}$/.test(s) ? s : fail(`expected ${PREFIX_FORM}`)
)

export const inputs = {
  path: globs(true),
  'key-files': globs(false),
  components: globs(false),
  'key-prefix': keyPrefix,
  ...backendInputs,
  save: fields.oneOf(['on-success', 'always', 'never'] as const),
  verify: fields.boolean(),
  'working-directory': fields.path()
}
