#!/usr/bin/env node
// The sample app's build: src/ → a release directory.
// Usage: node build.mjs <out-dir> <version> [--broken] [--slow=<ms>]
// A --broken build leaves out the HEALTHY marker, so /healthz answers 503:
// the demo's bad release. A --slow=<ms> build answers every request but
// /healthz that much later: a release that passes its gate and that a canary
// must catch.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const [out, version, ...flags] = process.argv.slice(2)
const broken = flags.includes('--broken')
const slow = flags.find((f) => f.startsWith('--slow='))?.slice('--slow='.length)
if (!out || !version || flags.some((f) => f !== '--broken' && !/^--slow=\d+$/.test(f))) {
  console.error('usage: node build.mjs <out-dir> <version> [--broken] [--slow=<ms>]')
  process.exit(2)
}
const src = new URL('./src', import.meta.url).pathname
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
cpSync(src, join(out, 'public'), { recursive: true })
writeFileSync(join(out, 'version.json'), JSON.stringify({ name: 'gantry-sample', version }) + '\n')
if (!broken) writeFileSync(join(out, 'HEALTHY'), '')
if (slow) writeFileSync(join(out, 'SLOW_MS'), `${slow}\n`)
console.log(`built ${version}${broken ? ' (broken)' : ''}${slow ? ` (${slow} ms slower)` : ''} into ${out}`)
