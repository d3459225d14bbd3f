// The licenses.txt of a bundle, from ncc's webpack stats: every package with a
// module in any output chunk. ncc's own license plugin writes one file per chunk
// under the same name, so a bundle split into chunks (a lazy import()) keeps only
// the last chunk's packages; this lists them all, in the plugin's format (so a
// one-file bundle gets the same bytes as before): sorted by name, each as
// `name`, its license id and its license file's text, separated by a blank line.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** The package.json of the nearest directory above `file` whose package.json has a name. */
function owningPackage(file, cache) {
  let dir = dirname(file)
  for (;;) {
    if (!cache.has(dir)) {
      const pj = join(dir, 'package.json')
      let found = null
      if (existsSync(pj)) {
        const json = JSON.parse(readFileSync(pj, 'utf8'))
        if (json.name) found = { dir, json }
      }
      cache.set(dir, found)
    }
    const hit = cache.get(dir)
    if (hit) return hit
    const up = dirname(dir)
    if (up === dir) return null
    dir = up
  }
}

function licenseId(json) {
  if (json.license) return typeof json.license === 'string' ? json.license : json.license.type
  if (Array.isArray(json.licenses) && json.licenses.length > 0) return json.licenses[0].type
  return null
}

function licenseText(dir, id) {
  const read = (name) => readFileSync(join(dir, name), 'utf8').replace(/\r\n/g, '\n')
  if (id && id.startsWith('SEE LICENSE IN ')) {
    const name = id.split(' ')[3]
    return existsSync(join(dir, name)) ? read(name) : null
  }
  const name = readdirSync(dir).find((n) => /^licen[cs]e/i.test(n) && !statSync(join(dir, n)).isDirectory())
  return name ? read(name) : null
}

/** licenses.txt for the bundle described by `stats` (ncc --stats-out). */
export function licensesFromStats(stats) {
  const cache = new Map()
  const packages = new Map()
  for (const m of stats.modules ?? []) {
    if (!m.chunks?.length) continue
    // A concatenated module lists the modules it holds.
    for (const inner of [m, ...(m.modules ?? [])]) {
      const file = inner.nameForCondition
      if (!file || !file.startsWith('/')) continue
      const pkg = owningPackage(file, cache)
      if (!pkg || packages.has(pkg.json.name)) continue
      const id = licenseId(pkg.json)
      packages.set(pkg.json.name, { name: pkg.json.name, id, text: licenseText(pkg.dir, id) })
    }
  }
  const list = [...packages.values()].sort((a, b) => (a.name < b.name ? -1 : 1))
  const body = list.map((p) => `${p.name}${p.id ? `\n${p.id}` : ''}${p.text ? `\n${p.text}` : ''}\n\n`).join('')
  return `${body.trim()}\n`
}
