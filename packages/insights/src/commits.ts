/**
 * Commit times from a checkout, for lead times: `git log` over what each
 * release brings (`previousSha..sha`, or the sha alone for a first release),
 * always as argument arrays. A shallow clone lacks older commits: said, and
 * those releases' lead times read n/a rather than a wrong number.
 */
import { execFileSync } from 'node:child_process'
import type { Commit, CommitLookup } from './keys.js'

const SHA = /^[0-9a-f]{4,64}$/i

export interface Checkout {
  lookup: CommitLookup
  shallow: boolean
}

function git(repo: string, args: string[]): string {
  return execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Throws when `repo` is not a git checkout (the caller names the input). */
export function checkout(repo: string): Checkout {
  const shallow = git(repo, ['rev-parse', '--is-shallow-repository']).trim() === 'true'
  const cache = new Map<string, readonly Commit[] | undefined>()
  const lookup: CommitLookup = (sha, previousSha) => {
    // Only hex reaches git: a sha from history is data, never an option or a revision expression.
    if (!SHA.test(sha) || (previousSha !== undefined && !SHA.test(previousSha))) return undefined
    const key = `${previousSha ?? ''}..${sha}`
    if (cache.has(key)) return cache.get(key)
    let out: readonly Commit[] | undefined
    try {
      const range = previousSha ? [`${previousSha}..${sha}`] : ['-1', sha]
      out = git(repo, ['log', '--format=%H %cI', ...range, '--'])
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [h, at] = l.split(' ')
          return { sha: h, at: new Date(at).toISOString() }
        })
    } catch {
      out = undefined
    }
    cache.set(key, out)
    return out
  }
  return { lookup, shallow }
}
