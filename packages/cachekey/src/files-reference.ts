/**
 * The plain reference for the lazy getters of `listing` (files.ts): the same
 * answers worked out eagerly, by splitting git's text on NUL and each record
 * on its tab. Used by the property test only.
 */
import type { InputFile } from './files.js'

export function referenceListing(data: { bytes: Buffer } | { files: InputFile[] }): {
  files: InputFile[]
  raw: string | undefined
  count: number
} {
  if ('files' in data) return { files: data.files, raw: undefined, count: data.files.length }
  const raw = data.bytes.toString('utf8')
  const files = raw
    .split('\0')
    .filter((r) => r !== '')
    .map((r) => {
      const tab = r.indexOf('\t')
      const [mode, id] = r.slice(0, tab).split(' ')
      return { path: r.slice(tab + 1), mode, id }
    })
  return { files, raw, count: files.length }
}
