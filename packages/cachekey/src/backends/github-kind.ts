/** `backend: github`: GitHub's cache service through @actions/cache (no inputs of its own). */
import type { BackendKindOf } from './kind.js'
import { GithubBackend } from './github.js'

export const githubKind = {
  name: 'github' as const,
  inputs: {},
  secrets: [],
  make: () => new GithubBackend()
} satisfies BackendKindOf<Record<never, never>>
