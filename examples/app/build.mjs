#!/usr/bin/env node
// The sample app's build: src/ → a release directory.
// Usage: node build.mjs <out-dir> <version> [--broken]
// A --broken build leaves out the HEALTHY marker, so /healthz answers 503:
// the demo's bad release.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const [out, version, flag] = process.argv.slice(2)
if (!out || !version) {
  console.error('usage: node build.mjs <out-dir> <version> [--broken]')
  process.exit(2)
}
const src = new URL('./src', import.meta.url).pathname
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
cpSync(src, join(out, 'public'), { recursive: true })
writeFileSync(join(out, 'version.json'), JSON.stringify({ name: 'gantry-sample', version }) + '\n')
if (flag !== '--broken') writeFileSync(join(out, 'HEALTHY'), '')
console.log(`built ${version}${flag === '--broken' ? ' (broken)' : ''} into ${out}`)
