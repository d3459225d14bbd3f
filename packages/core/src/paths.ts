/**
 * Output paths named by inputs (smoke-test's `junit`) are checked before any
 * request: a directory, a parent that is a file, or an unwritable place used
 * to fail after every request had run, with no summary and no report — and
 * `junit: /proc/x/y.xml` hung, in Node's recursive mkdir. Here each missing
 * directory is made one level at a time (no recursive mkdir), and the file is
 * opened for writing once; a file this check created is removed again (the
 * directories it made stay: the file is written there at the end).
 */
import { constants } from 'node:fs'
import { mkdir, open, stat, unlink } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { InputError } from './errors.js'

/** Makes sure `path` can be written as a file; throws InputError naming `input` otherwise. */
export async function checkOutputFile(input: string, path: string): Promise<void> {
  const bad = (why: string) =>
    new InputError(`Input '${input}' has invalid value '${path}': ${why}: expected the path of a file to write`)
  const full = resolve(path)
  const existing = await stat(full).catch(() => undefined)
  if (existing?.isDirectory()) throw bad('it is a directory')
  // The missing directories, outermost first, below the nearest one that exists.
  const missing: string[] = []
  let dir = dirname(full)
  for (;;) {
    const s = await stat(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : e))
    if (s instanceof Error) throw bad(`cannot reach ${dir} (${s.code ?? s.message})`)
    if (s) {
      if (!s.isDirectory()) throw bad(`${dir} is not a directory`)
      break
    }
    missing.unshift(dir)
    const up = dirname(dir)
    if (up === dir) break
    dir = up
  }
  for (const d of missing) {
    try {
      await mkdir(d)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code !== 'EEXIST') throw bad(`cannot create the directory ${d} (${code ?? (e as Error).message})`)
    }
  }
  let handle
  try {
    // O_NONBLOCK: a FIFO with no reader must not hang the step here.
    handle = await open(full, constants.O_WRONLY | constants.O_CREAT | constants.O_NONBLOCK)
  } catch (e) {
    throw bad(`cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
  }
  await handle.close()
  if (!existing) await unlink(full).catch(() => undefined)
}

/** Refuses a file larger than `maxBytes` before it is read; throws InputError naming `input`. */
export async function checkFileSize(input: string, path: string, maxBytes: number, what: string): Promise<void> {
  const s = await stat(path).catch(() => undefined)
  if (s && s.isFile() && s.size > maxBytes) {
    throw new InputError(
      `Input '${input}' has invalid value '${path}': the file is ${mib(s.size)}: expected ${what} of at most ${mib(maxBytes)}`
    )
  }
}

function mib(bytes: number): string {
  return `${Number((bytes / 1024 / 1024).toFixed(1))} MiB`
}
