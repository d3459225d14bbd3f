/**
 * File ids are git object ids ("blob <size>\0<content>"), so a file hashed by
 * us and the same file in git's index get the same id: the key is the same
 * whether a change is committed, staged, or only in the work tree, and the
 * same in a plain directory as in a checkout.
 */
import { createHash } from 'node:crypto'
import { lstat, readFile, readlink } from 'node:fs/promises'

export type ObjectFormat = 'sha1' | 'sha256'

export const MODE_FILE = '100644'
export const MODE_EXEC = '100755'
export const MODE_LINK = '120000'

export function blobId(content: Buffer, format: ObjectFormat = 'sha1'): string {
  return createHash(format).update(`blob ${content.length}\0`).update(content).digest('hex')
}

export interface HashedFile {
  mode: string
  id: string
}

/** The id of a work-tree file as git would store it; undefined when it is gone or not a file. */
export async function hashWorktreeFile(abs: string, format: ObjectFormat): Promise<HashedFile | undefined> {
  let st
  try {
    st = await lstat(abs)
  } catch {
    return undefined
  }
  if (st.isSymbolicLink()) return { mode: MODE_LINK, id: blobId(Buffer.from(await readlink(abs)), format) }
  if (!st.isFile()) return undefined
  const mode = st.mode & 0o111 ? MODE_EXEC : MODE_FILE
  return { mode, id: blobId(await readFile(abs), format) }
}
