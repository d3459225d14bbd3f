#!/usr/bin/env node
// Bundles each action's src/index.ts with ncc into dist/<name>/ (ESM, with the
// package.json ncc writes beside it). `npm run bundle -- health-gate` builds one.
import { spawnSync } from 'node:child_process'
import { readdirSync, rmSync, existsSync, renameSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { asciiOnly } from './ascii.mjs'
import { licensesFromStats } from './licenses.mjs'

const root = new URL('..', import.meta.url).pathname
const all = readdirSync(join(root, 'actions')).filter((n) => existsSync(join(root, 'actions', n, 'action.yml')))
const names = process.argv.slice(2).length ? process.argv.slice(2) : all
const outRoot = process.env.GANTRY_DIST_DIR || join(root, 'dist')
const ncc = join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js')

for (const name of names) {
  if (!all.includes(name)) {
    console.error(`bundle: no action named '${name}' (have: ${all.join(', ')})`)
    process.exit(1)
  }
  const out = join(outRoot, name)
  // Build beside the old bundle and swap, so a failed build leaves dist/ as it was.
  const tmp = `${out}.building`
  const stats = `${out}.stats.json`
  rmSync(tmp, { recursive: true, force: true })
  // ncc type-checks with the action's own tsconfig (src/ and what it imports).
  const r = spawnSync(
    process.execPath,
    [
      ncc,
      'build',
      join(root, 'actions', name, 'src', 'index.ts'),
      '-o',
      tmp,
      '--license',
      'licenses.txt',
      '--stats-out',
      stats,
      '--quiet'
    ],
    { stdio: 'inherit', cwd: join(root, 'actions', name) }
  )
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true })
    rmSync(stats, { force: true })
    console.error(`bundle: ncc failed for ${name}`)
    process.exit(r.status ?? 1)
  }
  // ASCII only: V8 holds a source with any non-Latin-1 character at two bytes per character (scripts/ascii.mjs).
  for (const f of readdirSync(tmp).filter((n) => n.endsWith('.js'))) {
    const file = join(tmp, f)
    writeFileSync(file, asciiOnly(readFileSync(file, 'utf8'), `dist/${name}/${f}`))
  }
  // ncc writes licenses.txt per chunk, each over the last: list the packages of every chunk.
  writeFileSync(join(tmp, 'licenses.txt'), licensesFromStats(JSON.parse(readFileSync(stats, 'utf8'))))
  rmSync(stats, { force: true })
  rmSync(out, { recursive: true, force: true })
  renameSync(tmp, out)
  console.log(`bundled dist/${name}/index.js`)
}
