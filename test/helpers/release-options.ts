// Deploy options for tests that drive the release policy directly on temp dirs.
import type { DeployOptions, Target } from '@gantry/release'

export function deployOptions(
  base: { targets: Target[]; source: string; tmpDir: string; log?: (line: string) => void },
  over: Partial<DeployOptions> = {}
): DeployOptions {
  return {
    keep: 5,
    shared: [],
    activateTimeoutMs: 10_000,
    context: { sha: 'abcdef0123456789', run: '7', actor: 'octocat' },
    lock: { ttlMs: 60_000, waitMs: 2_000 },
    log: () => undefined,
    ...base,
    ...over
  }
}
