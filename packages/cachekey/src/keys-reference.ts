/**
 * The plain reference for computeKeys (keys.ts): every route there (the
 * whole-tree bytes, componentsFromBytes, the parsed list) must give exactly
 * what this gives. It parses the listing record by record, sorts in git's
 * order, assigns each file to its deepest component and hashes the texts
 * directly, with no shortcut. Used by the property test only.
 */
import { createHash } from 'node:crypto'
import { InputError } from '@gantry/core'
import { comparePaths, type InputFile } from './files.js'
import { LOCKFILES, NODE_INPUT, keyBase, type KeyOptions, type KeyPlan, type KeyedUnit } from './keys.js'

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')
const record = (f: InputFile): string => `${f.mode} ${f.id} 0\t${f.path}\0`

/** Records of git's `ls-files -s -z` text: `<mode> <id> <stage>\t<path>\0`. */
function parseRecords(text: string): InputFile[] {
  return text
    .split('\0')
    .filter((r) => r !== '')
    .map((r) => {
      const tab = r.indexOf('\t')
      const [mode, id] = r.slice(0, tab).split(' ')
      return { path: r.slice(tab + 1), mode, id }
    })
}

/** The deepest component directory strictly above path. */
function deepestOwner(path: string, dirs: readonly string[]): string | undefined {
  let best: string | undefined
  for (const d of dirs) if (path.startsWith(`${d}/`) && (best === undefined || d.length > best.length)) best = d
  return best
}

function depsOf(dir: string, o: KeyOptions): string[] {
  const seen = new Set<string>()
  const visit = (d: string): void => {
    for (const n of o.components.find((c) => c.dir === d)?.deps ?? []) {
      if (n === dir || seen.has(n)) continue
      seen.add(n)
      visit(n)
    }
  }
  visit(dir)
  return [...seen].sort()
}

export function referenceComputeKeys(o: KeyOptions): KeyPlan {
  const text = o.files.bytes ? o.files.bytes.toString('utf8') : o.files.raw
  const listed = text === undefined ? [...o.files.files] : parseRecords(text)
  listed.sort((a, b) => comparePaths(a.path, b.path))
  const dirs = o.components.map((c) => c.dir)
  const global: InputFile[] = []
  const own = new Map<string, InputFile[]>(dirs.map((d) => [d, []]))
  let selected = 0
  let excludedOutputs = 0
  for (const f of listed) {
    if (o.outputs.match(f.path)) {
      excludedOutputs++
      continue
    }
    if (o.keyFiles && !o.keyFiles.match(f.path)) continue
    selected++
    const owner = deepestOwner(f.path, dirs)
    if (owner === undefined) global.push(f)
    else own.get(owner)?.push(f)
  }
  if (o.keyFiles && selected === 0) {
    throw new InputError(
      `Input 'key-files' has invalid value '${o.keyFiles.patterns.join('\\n')}': it matches no file under working-directory`
    )
  }
  // The lockfile always counts: appended after the selected global files when left out.
  for (const f of listed) if (LOCKFILES.has(f.path) && !global.some((g) => g.path === f.path)) global.push(f)

  const globalIndex = `${o.nodeVersion}\t${NODE_INPUT}\0` + global.map(record).join('')
  const globalHash = sha256('gantry-build-cache 1\n' + globalIndex)
  if (o.components.length === 0) {
    const key = keyBase(o, '.') + globalHash
    return {
      key,
      hash: globalHash,
      units: [{ dir: '.', key, hash: globalHash, files: global.length, deps: [], index: globalIndex }],
      globalFiles: global.length,
      excludedOutputs
    }
  }
  const ownText = (d: string): string => (own.get(d) ?? []).map(record).join('')
  const units: KeyedUnit[] = o.components.map((c) => {
    const deps = depsOf(c.dir, o)
    const lines = [`component ${c.dir}`, `global ${globalHash}`, `own ${sha256(ownText(c.dir))}`]
    for (const d of deps) lines.push(`dep ${d} ${sha256(ownText(d))}`)
    const hash = sha256(lines.map((l) => `${l}\n`).join(''))
    const depIndex = deps.map((d) => `${sha256(ownText(d))}\tdependency ${d}\0`).join('')
    return {
      dir: c.dir,
      name: c.name,
      key: keyBase(o, c.dir) + hash,
      hash,
      files: (own.get(c.dir) ?? []).length + global.length,
      deps: c.deps,
      index: globalIndex + ownText(c.dir) + depIndex
    }
  })
  const hash = sha256(`global ${globalHash}\n${units.map((u) => `${u.dir} ${u.hash}\n`).join('')}`)
  return { key: keyBase(o, '.') + hash, hash, units, globalFiles: global.length, excludedOutputs }
}
