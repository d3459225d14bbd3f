// A Node 24 binary, for benches that also measure under the runtime an action's
// `runs.using: node24` gets on a runner. GANTRY_BENCH_NODE24 names one; otherwise
// Node's own build, published on npm as node-<platform>-<arch>, is fetched once
// into node_modules/.cache (the bench machine may have another Node).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import * as tar from 'tar'
import { repoRoot } from './util.mjs'

/** Path of a Node 24 binary, and its version. */
export async function node24() {
  let bin = process.env.GANTRY_BENCH_NODE24
  if (!bin) {
    const dir = join(repoRoot, 'node_modules', '.cache', 'gantry-bench', 'node24')
    bin = join(dir, 'package', 'bin', 'node')
    if (!existsSync(bin)) {
      mkdirSync(dir, { recursive: true })
      const pkg = `node-${process.platform}-${process.arch}@24`
      const r = spawnSync('npm', ['pack', pkg, '--pack-destination', dir, '--silent'], { encoding: 'utf8' })
      const file = r.stdout?.trim().split('\n').pop()
      if (r.status !== 0 || !file)
        throw new Error(`bench: could not fetch ${pkg} from the npm registry (or set GANTRY_BENCH_NODE24): ${r.stderr}`)
      await tar.x({ file: join(dir, file), cwd: dir })
      rmSync(join(dir, file))
    }
  }
  const v = spawnSync(bin, ['--version'], { encoding: 'utf8' })
  const version = v.stdout?.trim() ?? ''
  if (v.status !== 0 || !version.startsWith('v24.'))
    throw new Error(`bench: ${bin} is not Node 24 (${version || v.error})`)
  return { bin, version }
}
