// A throwaway non-root user for tests of file modes (root ignores them, so a
// read-only directory proves nothing as root). Needs root: useradd/userdel.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chownSync, lchownSync, lstatSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

export interface TestUser {
  name: string
  uid: number
  gid: number
  /** chown -R of a tree to this user (symlinks themselves, not their targets). */
  own(dir: string): void
  remove(): void
}

export function createUser(): TestUser {
  if (process.getuid?.() !== 0)
    throw new Error('createUser: needs root (useradd); npm run test:system runs as root in CI')
  const name = `gantry-t${randomBytes(3).toString('hex')}`
  // Password '*': none, but not locked ('!'), which sshd without PAM refuses even for a key.
  execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', '--user-group', '--password', '*', name], {
    timeout: 30_000
  })
  const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim())
  const uid = id('-u')
  const gid = id('-g')
  const own = (dir: string): void => {
    chownSync(dir, uid, gid)
    if (!lstatSync(dir).isDirectory()) return
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, d.name)
      if (d.isDirectory()) own(p)
      else lchownSync(p, uid, gid)
    }
  }
  return {
    name,
    uid,
    gid,
    own,
    remove: () => execFileSync('userdel', ['--remove', name], { timeout: 30_000 })
  }
}
