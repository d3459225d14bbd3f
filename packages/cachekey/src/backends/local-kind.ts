/** `backend: local`: a directory of entries (`local-dir`) on a self-hosted runner or in the demo. */
import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { InputError, fields, optional } from '@gantry/core'
import type { BackendKindOf } from './kind.js'
import { LocalBackend } from './local.js'

const inputs = { 'local-dir': optional(fields.path()) }
const FORM = 'expected a directory path for the cache (created when missing)'

export const localKind = {
  name: 'local' as const,
  inputs,
  secrets: [],
  check(v) {
    const dir = v['local-dir']
    if (!dir)
      throw new InputError(
        `Input 'local-dir' is required when backend is 'local': expected a directory path for the cache`
      )
    // A file here used to be accepted and only warned about in the post step, after the build.
    let bad: string | undefined
    try {
      if (!statSync(resolve(dir)).isDirectory()) bad = 'a file'
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code !== 'ENOENT') bad = `not reachable (${code})`
    }
    if (bad) throw new InputError(`Input 'local-dir' has invalid value '${dir}': it is ${bad}: ${FORM}`)
  },
  make: (v, ctx) => new LocalBackend(resolve(ctx.cwd, v['local-dir'] as string))
} satisfies BackendKindOf<typeof inputs>
