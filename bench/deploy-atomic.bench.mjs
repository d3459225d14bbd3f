#!/usr/bin/env node
// deploy-atomic (local target) against its peers, side by side in one run:
// a redeploy of a 10,000-file release with 1% of the files changed.
//   - deploy-atomic: the shipped bundle (process start included), keep large
//     enough that no prune runs inside the timing (the peers do not prune)
//   - the floor: `rsync -a --link-dest=<previous>` into a new release, then a
//     new symlink and `mv -T` over `current` (what Deployer/Capistrano-style
//     scripts do at best)
//   - a full copy: `cp -a` into a new release, same switch
// and the local rollback: auto-rollback's bundle, its in-process rollback time
// and the switch alone.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { randomBytes } from 'node:crypto'
import { runAction } from '../test/harness/runner.mjs'
import { fmt, hasCommand, median, writeSection } from './lib/util.mjs'

const load = loadavg()[0]
const FILES = 10_000
const CHANGED = FILES / 100
const ROUNDS = 5

for (const cmd of ['rsync', 'cp', 'mv']) {
  if (!hasCommand(cmd)) {
    console.error(`bench deploy-atomic: ${cmd} not found (install rsync from Debian)`)
    process.exit(1)
  }
}

const root = mkdtempSync(join(tmpdir(), 'gantry-bench-deploy-'))
const src = join(root, 'src')
const names = []
for (let d = 0; d < 100; d++) {
  mkdirSync(join(src, `d${d}`), { recursive: true })
  for (let f = 0; f < 100; f++) {
    const p = join(`d${d}`, `f${f}.txt`)
    names.push(p)
    // 1–16 KiB, ~85 MB in all: a web app's assets, mostly small files.
    writeFileSync(join(src, p), randomBytes(1024 * (1 + (((d * 100 + f) * 7919) % 16))))
  }
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`)
}

/** New release via `rsync --link-dest` or `cp -a`, then the atomic switch. */
function peerDeploy(base, id, prev, how) {
  mkdirSync(join(base, 'releases'), { recursive: true })
  const dest = join(base, 'releases', id)
  if (how === 'rsync') {
    run('rsync', ['-a', ...(prev ? [`--link-dest=${join(base, 'releases', prev)}`] : []), `${src}/`, `${dest}/`])
  } else {
    run('cp', ['-a', src, dest])
  }
  symlinkSync(`releases/${id}`, join(base, 'current.tmp'))
  run('mv', ['-T', join(base, 'current.tmp'), join(base, 'current')])
}

async function gantryDeploy(base, id) {
  const r = await runAction('deploy-atomic', { inputs: { source: src, path: base, 'release-id': id, keep: 50 } })
  if (r.code !== 0) throw new Error(`deploy-atomic failed: ${r.stdout}`)
  return JSON.parse(readFileSync(r.outputs.report, 'utf8'))
}

const bases = { gantry: join(root, 'gantry'), rsync: join(root, 'rsync'), copy: join(root, 'copy') }
// The first release everywhere (not timed).
await gantryDeploy(bases.gantry, 'r0')
peerDeploy(bases.rsync, 'r0', undefined, 'rsync')
peerDeploy(bases.copy, 'r0', undefined, 'cp')

const times = { gantry: [], gantryInProcess: [], rsync: [], copy: [] }
let linked = 0
let copied = 0
for (let round = 1; round <= ROUNDS; round++) {
  // 1% of the files change between releases.
  for (let k = 0; k < CHANGED; k++) {
    writeFileSync(join(src, names[(round * 997 + k * 101) % FILES]), randomBytes(1500))
  }
  const id = `r${round}`
  const prev = `r${round - 1}`
  const order = ['gantry', 'rsync', 'copy']
  for (let i = 0; i < round % 3; i++) order.push(order.shift())
  for (const who of order) {
    const t0 = performance.now()
    if (who === 'gantry') {
      const report = await gantryDeploy(bases.gantry, id)
      times.gantry.push(performance.now() - t0)
      times.gantryInProcess.push(report.durationMs)
      linked = report.targets[0].prepared.linked
      copied = report.targets[0].prepared.copied
    } else {
      peerDeploy(bases[who], id, prev, who === 'rsync' ? 'rsync' : 'cp')
      times[who].push(performance.now() - t0)
    }
  }
  // Old peer releases go outside the timing (deploy-atomic prunes nothing here either: keep 50).
  for (const who of ['rsync', 'copy'])
    rmSync(join(bases[who], 'releases', `r${round - 2}`), { recursive: true, force: true })
}

// Rollbacks: alternate a redeploy (not timed) and a rollback (timed).
const rb = { step: [], inProcess: [], switch: [], verifyAndSwitch: [] }
for (let n = 1; n <= ROUNDS; n++) {
  writeFileSync(join(src, names[n]), randomBytes(1500))
  await gantryDeploy(bases.gantry, `rb${n}`)
  const t0 = performance.now()
  const r = await runAction('auto-rollback', { inputs: { path: bases.gantry, reason: 'bench' } })
  const step = performance.now() - t0
  if (r.code !== 0) throw new Error(`auto-rollback failed: ${r.stdout}`)
  const report = JSON.parse(readFileSync(r.outputs.report, 'utf8'))
  rb.step.push(step)
  rb.inProcess.push(report.durationMs)
  rb.switch.push(report.switchMs)
  rb.verifyAndSwitch.push(report.verifyAndSwitchMs)
}
rmSync(root, { recursive: true, force: true })

const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]))
const vsFloor = m.gantry / m.rsync
const vsCopy = m.copy / m.gantry
const rbIn = median(rb.inProcess)
const ok = (b) => (b ? '**met**' : '**not met**')

writeSection(
  'deploy-atomic',
  `
## deploy-atomic

Shared 2-core machine, load average ${fmt(load, 1)} when the run started; each method runs in turn inside every round, so they see the same load.

### Redeploy of a ${FILES.toLocaleString('en')}-file release with 1% (${CHANGED}) changed, local target (median of ${ROUNDS})

| method | time | ratio to the floor |
| --- | --- | --- |
| deploy-atomic (dist bundle, process start included; hashes the changed files, links ${linked}, copies ${copied}, verifies the release) | ${fmt(m.gantry)} ms | ${fmt(vsFloor, 2)} |
| deploy-atomic, in-process part (report \`durationMs\`) | ${fmt(m.gantryInProcess)} ms | ${fmt(m.gantryInProcess / m.rsync, 2)} |
| floor: \`rsync -a --link-dest\` + \`ln -s\` + \`mv -T\` | ${fmt(m.rsync)} ms | 1.00 |
| full copy: \`cp -a\` + \`ln -s\` + \`mv -T\` | ${fmt(m.copy)} ms | ${fmt(m.copy / m.rsync, 2)} |

Goals: within 1.5× of the floor — in-process ${fmt(m.gantryInProcess / m.rsync, 2)}×, ${ok(m.gantryInProcess / m.rsync <= 1.5)}; whole step with Node's start ${fmt(vsFloor, 2)}×, ${ok(vsFloor <= 1.5)}. ≥ 10× faster than a full copy — ${fmt(vsCopy, 1)}×, ${ok(vsCopy >= 10)}.
deploy-atomic does more than the floor: it keeps a sha256 manifest (re-hashing only files whose inode/size/mtime/ctime changed), re-hashes every copied file and checks every link before the switch, takes the lock, and writes history.json and the manifest with fsync. The whole-step time includes Node starting and loading the bundle (${fmt(m.gantry - m.gantryInProcess)} ms here), which the in-process row leaves out.
Where the time goes and what brought the whole step from 1.76× (409 ms; in-process 274 ms, start 135 ms, in the run before these changes) to the ratio above:
- start: the bundle's main file holds only what every deploy runs (1.6 MB, was 4.1 MB); the GitHub client (octokit with its own undici, only for \`github-deployment: true\`) and node-tar (only for a tarball source) are chunks loaded by \`import()\` when used. What remains is mostly \`@actions/core\`, whose static import of its OIDC client evaluates a 0.9 MB copy of undici in every action (~20 ms), and zod.
- in-process: per file, one lstat(2) of the source, one link(2) and one lstat(2) of the new link, taken right after the link (its dentry is hot) and reused by the verification walk instead of a second lstat; the 1% changed files copy on libuv's thread pool while this thread links; paths are joined by concatenation in the loops (path.join normalises at ~2 µs a call); the stat caches of the previous release are read and written as one base64 Float64Array instead of 20,000 JSON arrays of fractional timestamps. All syscalls stay synchronous on the main thread: at a few µs each, the per-call cost of async fs is higher than the call, and a second thread linking the other half did not pay here (both threads slowed to about the speed of one).
Here \`cp -a\` of ~85 MB took ${fmt(m.copy / m.rsync, 2)}× the floor's time and deploy-atomic's whole step ${fmt(m.gantry / m.copy, 2)}× the copy's. The copy varies most from run to run (it writes 85 MB, at the pace of the page cache and the kernel's writeback at that moment: from 0.7× to 4× the floor in runs on this machine), and with a release this small no link-based method — the floor included — is reliably 10× faster than it: link-based deploys cost the same whatever the bytes of a release, a copy grows with them.

### Local rollback (auto-rollback, watch 0; median of ${ROUNDS})

| measure | time |
| --- | --- |
| rollback in-process: inputs, lock, history, manifest, check of the target release, switch, history write, report (report \`durationMs\`) | ${fmt(rbIn, 1)} ms |
| check of the target release (every one of ${FILES.toLocaleString('en')} entries present, with its type) + switch | ${fmt(median(rb.verifyAndSwitch), 1)} ms |
| the switch alone (\`duration\` output, rounded there) | ${fmt(median(rb.switch), 2)} ms |
| whole step, process start included | ${fmt(median(rb.step))} ms |

Goal: local rollback < 100 ms — ${fmt(rbIn, 1)} ms in-process, ${ok(rbIn < 100)}.
`
)
