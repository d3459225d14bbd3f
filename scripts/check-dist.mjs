#!/usr/bin/env node
// Rebuilds every bundle into a temporary directory and fails on any difference
// from the committed dist/ (a missing, extra or changed file).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, statSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const fresh = mkdtempSync(join(tmpdir(), 'gantry-dist-'))
const r = spawnSync(process.execPath, [join(root, 'scripts', 'bundle.mjs')], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, GANTRY_DIST_DIR: fresh }
})
if (r.status !== 0) process.exit(r.status ?? 1)

function files(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? files(p) : [p]
  })
}
const committed = new Set(files(join(root, 'dist')).map((p) => relative(join(root, 'dist'), p)))
const built = new Set(files(fresh).map((p) => relative(fresh, p)))
const problems = []
for (const f of built) {
  if (!committed.has(f)) problems.push(`missing from dist/: ${f}`)
  else if (!readFileSync(join(fresh, f)).equals(readFileSync(join(root, 'dist', f))))
    problems.push(`differs: dist/${f}`)
}
for (const f of committed) if (!built.has(f)) problems.push(`not produced by the bundle: dist/${f}`)
rmSync(fresh, { recursive: true, force: true })
for (const p of problems) console.error(`check-dist: ${p}`)
if (problems.length) {
  console.error('check-dist: dist/ is stale; run `npm run bundle` and commit dist/')
  process.exit(1)
}
console.log(`check-dist: dist/ matches a fresh bundle (${built.size} files)`)
