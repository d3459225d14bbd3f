#!/usr/bin/env node
// build-cache key computation on a generated 40,000-file git repository,
// side by side in one run with its peers:
//   - @actions/glob hashFiles over the same files (what actions/cache users key on),
//   - `git ls-files -s | sha256sum` (the floor: git's index, no file read).
// Measures the whole build-cache main step as the runner runs it (a fresh node
// process on dist/build-cache/index.js, local backend, a miss) and the key
// computation inside it (from its report). Writes bench/sections/build-cache.md.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { hashFiles } from '@actions/glob'
import { runAction } from '../test/harness/runner.mjs'
import { median, writeSection } from './lib/util.mjs'

const FILES = 40_000
const PACKAGES = 40
const RUNS = 9
const REPO = join(tmpdir(), 'gantry-bench-build-cache', `repo-${FILES}`)

function sh(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 256 * 2 ** 20 })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`)
  return r.stdout
}

/** 40 workspace packages of 1,000 small files each (each depends on the one before), committed. */
function generate() {
  if (existsSync(join(REPO, '.bench-complete'))) return
  rmSync(REPO, { recursive: true, force: true })
  mkdirSync(REPO, { recursive: true })
  const perPkg = FILES / PACKAGES
  writeFileSync(
    join(REPO, 'package.json'),
    JSON.stringify({ name: 'bench', private: true, workspaces: ['packages/*'] })
  )
  writeFileSync(join(REPO, '.gitignore'), 'dist/\nnode_modules/\n.bench-complete\n')
  let n = 2
  for (let p = 0; p < PACKAGES; p++) {
    const dir = join(REPO, 'packages', `p${p}`)
    const deps = p > 0 ? { [`@bench/p${p - 1}`]: '*' } : {}
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `@bench/p${p}`, dependencies: deps }))
    n++
    for (let f = 0; f < perPkg - 1 && n < FILES; f++, n++) {
      const sub = join(dir, 'src', `d${f % 20}`)
      if (f < 20) mkdirSync(sub, { recursive: true })
      writeFileSync(join(sub, `f${f}.js`), `export const v${f} = ${p * perPkg + f} // ${'x'.repeat(f % 200)}\n`)
    }
  }
  sh('git', ['init', '-q'], REPO)
  sh('git', ['add', '-A'], REPO)
  sh('git', ['-c', 'user.email=bench@example.com', '-c', 'user.name=bench', 'commit', '-q', '-m', 'bench'], REPO)
  writeFileSync(join(REPO, '.bench-complete'), '')
}

async function time(fn) {
  const t0 = performance.now()
  const v = await fn()
  return { ms: performance.now() - t0, v }
}

function fmt(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`
}

console.log(`generating ${FILES} files in ${REPO} (reused when present)...`)
const g = await time(() => generate())
console.log(`  ready in ${fmt(g.ms)}`)
const count = Number(sh('sh', ['-c', 'git ls-files | wc -l'], REPO).trim())

// The floor and both build-cache modes, interleaved run by run so that load
// from anything else on the machine falls on all of them alike.
function floorRun() {
  return time(() => sh('sh', ['-c', 'git ls-files -s | sha256sum'], REPO))
}
// What any key that notices work-tree edits must at least do on top of the floor:
// one stat per tracked file (git diff-files), which the floor skips.
function statFloorRun() {
  return time(() => sh('git', ['diff-files', '-z', '--name-status'], REPO))
}

/** The build-cache main step as the runner runs it (a fresh node process, local backend, a miss). */
async function mainStep(inputs) {
  const cache = mkdtempSync(join(tmpdir(), 'gantry-bench-bc-cache-'))
  const r = await time(() =>
    runAction('build-cache', {
      workspace: REPO,
      inputs: { path: 'dist', backend: 'local', 'local-dir': cache, ...inputs },
      post: false,
      timeoutMs: 120_000
    })
  )
  rmSync(cache, { recursive: true, force: true })
  if (r.v.code !== 0) throw new Error(`build-cache failed:\n${r.v.stdout}\n${r.v.stderr}`)
  const report = JSON.parse(readFileSync(r.v.outputs.report, 'utf8'))
  rmSync(r.v.workDir, { recursive: true, force: true })
  return { wall: r.ms, keys: report.timings.listMs + report.timings.keysMs, report }
}

const loadBefore = loadavg()[0]
const floor = []
const statFloor = []
const wholeRuns = []
const compRuns = []
await mainStep({}) // warm the page cache like a checkout just did
for (let i = 0; i < RUNS; i++) {
  floor.push((await floorRun()).ms)
  statFloor.push((await statFloorRun()).ms)
  wholeRuns.push(await mainStep({}))
  compRuns.push(await mainStep({ components: 'packages/*' }))
}
const summarise = (runs) => ({
  wall: median(runs.map((r) => r.wall)),
  keys: median(runs.map((r) => r.keys)),
  report: runs[0].report
})
const whole = summarise(wholeRuns)
const comps = summarise(compRuns)

// Peer: hashFiles over the same files (everything but .git), one run: it is slow.
// It logs every file through core.debug (stdout): silenced for the run.
const write = process.stdout.write.bind(process.stdout)
process.stdout.write = (chunk, ...rest) => (String(chunk).startsWith('::debug::') ? true : write(chunk, ...rest))
const hf = await time(() => hashFiles(`${REPO}/**\n!${REPO}/.git/**`, REPO))
process.stdout.write = write
if (!/^[0-9a-f]{64}$/.test(hf.v)) throw new Error(`hashFiles returned '${hf.v}'`)

const loadAfter = loadavg()[0]
const floorMs = median(floor)
const rows = [
  ['`git ls-files -s \\| sha256sum` (floor)', fmt(floorMs), '1.0×', '–'],
  [
    '`git diff-files` alone (the stat of every file a work-tree-aware key needs)',
    fmt(median(statFloor)),
    `${(median(statFloor) / floorMs).toFixed(1)}× floor`,
    '–'
  ],
  [
    'build-cache key computation (whole tree)',
    fmt(whole.keys),
    `${(whole.keys / floorMs).toFixed(1)}× floor`,
    `${(hf.ms / whole.keys).toFixed(0)}× faster`
  ],
  [
    'build-cache key computation (40 components)',
    fmt(comps.keys),
    `${(comps.keys / floorMs).toFixed(1)}× floor`,
    `${(hf.ms / comps.keys).toFixed(0)}× faster`
  ],
  [
    'build-cache main step, whole tree (node process, miss)',
    fmt(whole.wall),
    `${(whole.wall / floorMs).toFixed(1)}× floor`,
    `${(hf.ms / whole.wall).toFixed(0)}× faster`
  ],
  [
    'build-cache main step, 40 components (node process, miss)',
    fmt(comps.wall),
    `${(comps.wall / floorMs).toFixed(1)}× floor`,
    `${(hf.ms / comps.wall).toFixed(0)}× faster`
  ],
  ['@actions/glob `hashFiles` (peer)', fmt(hf.ms), `${(hf.ms / floorMs).toFixed(0)}× floor`, '1×']
]
const stepRatio = hf.ms / whole.wall
const keyRatio = whole.keys / floorMs
const ok = (b) => (b ? '✅ met' : '❌ missed')
const md = `## build-cache — key computation on a ${count.toLocaleString('en')}-file git repository

Generated repository: ${PACKAGES} workspace packages × ${FILES / PACKAGES} small files, committed (under the
system temp dir, reused between runs). Same machine, one run (${cpus().length} cores, Node ${process.version}).
Times are medians of ${RUNS} runs, except \`hashFiles\` (one run). "Main step" is the whole
\`dist/build-cache/index.js\` process as the runner starts it (local backend, cache miss: lookup and
explanation included); "key computation" is the listing + keying inside it, from its report.

| What | Time | vs floor | vs hashFiles |
| --- | --- | --- | --- |
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}

| Goal | Result | Verdict |
| --- | --- | --- |
| whole main step ≥ 50× faster than \`hashFiles\` (same files: the whole tree) | ${stepRatio.toFixed(0)}× | ${ok(stepRatio >= 50)} |
| key computation within 3× of \`git ls-files -s \\| sha256sum\` (whole tree) | ${keyRatio.toFixed(2)}× | ${ok(keyRatio <= 3)} |

The goals compare like with like: one key over the whole tree, as \`hashFiles\` and the floor compute.
The 40-component rows do more (40 keys, the dependency graph, one index per component) and are shown
for scale. The second row is what any key that notices work-tree edits must add to the floor: the floor
reads only the index, so it misses an edited file.

Where the key computation's time goes (profiled on this machine with \`GIT_TRACE2_PERF\` and
\`node --cpu-prof\`): it is git's CPU, not JavaScript. The stat pass (\`diff-files\`, one \`lstat\` per
tracked file, over threads) costs ~45–50 ms of CPU, the untracked-file walk ~20–25 ms, listing the
index ~10 ms; the floor costs ~17–24 ms of CPU in one process. So the key needs ~4.5× the floor's CPU and
beats 3× only by spreading it over both cores: with both cores free the git part takes ~45–55 ms,
and when other work holds a core (load average here: ${loadBefore.toFixed(1)} at the start of this run,
${loadAfter.toFixed(1)} at the end) it takes longer, while the single-process floor does not. In the
runs made for this revision on this shared machine the whole-tree ratio was 3.1–3.4× in seven runs
(load averages 0.4–2.0), 3.29× in a full rerun while other work held both cores (load 2.1–2.4), and
2.81× in a rerun with both cores free (load 1.0); earlier revisions read up to 4.1× under load: the
goal is met only when nothing else runs, so it is not counted as met here, whatever one run reads.
\`git status --porcelain=v2 -uall\` in one process was no faster: it walks for untracked files only
after its stat pass (~25 + ~20 ms in a row), prints paths from the top of the repository (a
sub-directory \`working-directory\` would need one more run) and also compares HEAD with the index.

What changed in this revision (the previous section: 64 ms, 3.49× the floor): \`ls-files\`, the longer
path (one thread: the untracked walk, then 3 MB of index records through the pipe), is now spawned
before \`diff-files\`. A spawn holds node's main thread while it forks the whole process, 2–6 ms each
here, so the second git started that much later; with the longer one first the key computation went
from ~64 to ~59 ms (medians of 12 runs each, interleaved). A timeline of one key (timestamps in the
bundle): ls-files spawned at ~1 ms and done at ~55 ms, diff-files spawned at ~4 ms and done at ~47–52 ms,
keying after both ~1 ms. Writing git's output to a file instead of a pipe, splitting the walk into two
processes by pathspec, three processes (index, walk, stat) and \`diff-files\` without its preload
threads were measured too and were no faster: both cores are busy with git's stat and walk either way.
The 40-component key now splits git's bytes with the same searches as the whole-tree key, where it
used to decode them to text and search that: ~3 ms slower in interleaved runs (~77 → ~80 ms), for
one set of searches instead of a text twin and a bytes twin.
Earlier revisions: the whole-tree key hashes git's bytes while git writes them, without decoding them
(keying went from ~9 ms to ~1 ms after the listing), and the index and the untracked files come from one
\`git ls-files -s -o\` run (two git processes instead of three). The index text (kept with an entry to
explain a later miss) and the file count for the report are produced after the key, and are counted in
the main-step rows.

The generated repository is committed and "settled": git has stat data for every file. Right after a
fresh \`git clone\`, files written in the same second as the index are "racily clean" and git
re-reads them on every stat pass; \`diff-files\` on a fresh clone of this repository took ~150 ms
instead of ~30 ms. build-cache does not rewrite the user's index to avoid that (it never writes the
index), so on a real runner expect the stat pass, and with it the key, to be slower than here.

Why: build-cache takes each tracked file's blob id from git's index (\`git ls-files -s\`) and reads only
files that are modified or untracked; \`hashFiles\` walks the tree and reads and hashes every file.
Both keys cover the same ${whole.report.listing.files.toLocaleString('en')} files.
`
writeSection('build-cache', md)
console.log(md)
