/**
 * Where a link in a release really points. Reading a link's text alone is not
 * enough: with `x -> .`, `x/x/../..` is `..` twice on disk although the text
 * normalises to the release root. So each component of a target is walked
 * against the release tree, following the links met inside the tree (as the
 * kernel, and so nginx, does), until it leaves the tree, loops, or ends.
 */
import { posix } from 'node:path'

/** What lies at a release-relative path: an entry, a shared path (a link into `<path>/shared`), or nothing. */
export type TreeNode = { type: 'file' | 'dir' | 'other' } | { type: 'symlink'; target: string } | 'shared' | undefined

/** Links followed in one resolution before it counts as a loop (Linux's own limit is 40). */
const MAX_HOPS = 40

class Stop {
  constructor(readonly why: string) {}
}

/**
 * Why the link at `rel` with `target` leaves the release or loops; undefined
 * when it stays inside (a target that does not exist inside is fine: dangling).
 * `noLinksInPath`: refuse any path that goes through another link (node-tar
 * refuses to extract those, so a .tar.gz cannot hold them).
 */
export function linkProblem(
  rel: string,
  target: string,
  lookup: (rel: string) => TreeNode,
  o: { noLinksInPath?: boolean } = {}
): string | undefined {
  if (target === '') return 'has an empty target'
  if (target.includes('\0')) return 'has a NUL byte in its target'
  if (posix.isAbsolute(target)) return 'is absolute (links must stay inside the release)'
  let hops = 0
  // `parts`: the directory the path is relative to, as components below the release root.
  const walk = (parts: string[], path: string): string[] => {
    const stack = [...parts]
    const comps = path.split('/')
    for (let i = 0; i < comps.length; i++) {
      const c = comps[i]
      if (c === '' || c === '.') continue
      if (c === '..') {
        if (stack.length === 0) throw new Stop('leaves the release')
        stack.pop()
        continue
      }
      stack.push(c)
      const node = lookup(stack.join('/'))
      if (node === 'shared') {
        // Below <path>/shared/<p>: fine as long as it never climbs back out of it.
        let depth = 0
        for (const d of comps.slice(i + 1)) {
          if (d === '..') depth--
          else if (d !== '' && d !== '.') depth++
          if (depth < 0) throw new Stop(`leaves the release through the shared path '${stack.join('/')}'`)
        }
        return stack
      }
      if (node?.type === 'symlink') {
        if (o.noLinksInPath) {
          throw new Stop(
            `goes through the symlink '${stack.join('/')}' (a .tar.gz cannot hold links through links; ship a directory instead)`
          )
        }
        if (++hops > MAX_HOPS) throw new Stop('is a symlink loop')
        if (posix.isAbsolute(node.target)) throw new Stop(`leaves the release through '${stack.join('/')}'`)
        const resolved = walk(stack.slice(0, -1), node.target)
        stack.length = 0
        stack.push(...resolved)
      }
    }
    return stack
  }
  try {
    walk(posix.dirname(rel) === '.' ? [] : posix.dirname(rel).split('/'), target)
    return undefined
  } catch (e) {
    if (e instanceof Stop) return e.why
    throw e
  }
}
