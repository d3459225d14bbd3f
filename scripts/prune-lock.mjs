#!/usr/bin/env node
// The registry this project installs from serves only some platforms' builds of
// optional native bindings (e.g. @unrs/resolver-binding-*, used by jest 30), so
// package-lock.json lists optional dependencies it has no entry for, and
// `npm ci` refuses it. This drops exactly those dangling optional entries (no
// other change), leaving a lock that `npm ci` installs on linux-x64.
// It runs as the root package's postinstall script, so every `npm install` leaves a
// lock that `npm ci` accepts; it writes only when it removed something.
import { readFileSync, writeFileSync } from 'node:fs'

const file = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(file, 'utf8'))
const pkgs = lock.packages
let removed = 0

/** Would `name`, required from the package at `from`, resolve to an entry? (node_modules walk-up) */
function resolves(from, name) {
  let dir = from
  for (;;) {
    if (pkgs[`${dir ? `${dir}/` : ''}node_modules/${name}`]) return true
    if (!dir) return false
    const i = dir.lastIndexOf('/node_modules/')
    dir = i >= 0 ? dir.slice(0, i) : ''
  }
}

for (const [path, entry] of Object.entries(pkgs)) {
  const opt = entry.optionalDependencies
  if (!opt) continue
  for (const name of Object.keys(opt)) {
    if (!resolves(path, name)) {
      delete opt[name]
      removed++
    }
  }
  if (Object.keys(opt).length === 0) delete entry.optionalDependencies
}
if (removed > 0) writeFileSync(file, JSON.stringify(lock, null, 2) + '\n')
console.log(`prune-lock: removed ${removed} dangling optional dependency entr${removed === 1 ? 'y' : 'ies'}`)
