/**
 * The source of a deploy, checked and read before anything changes anywhere
 * (the caller may create a GitHub deployment only after this): what it is, a
 * tarball listed and extracted into RUNNER_TEMP, its manifest built (links
 * resolved against the tree), and not empty unless allowed. Every problem here
 * is the user's input, so each is an InputError of one line naming `source`.
 */
import { rmSync } from 'node:fs'
import { InputError } from '@gantry/core'
import { isSlotName } from './layout.js'
import { ManifestError, buildManifest, type Manifest } from './manifest.js'
import { SourceError, extractTarball, sourceKind } from './source.js'
import type { ReleaseStore, ReleaseSwitch, Target } from './target.js'
import { phaseTimer } from './phases.js'

export interface PreparedSource {
  /** The release content on the runner (the source, or its extracted copy). */
  dir: string
  manifest: Manifest
  /** The current release's (with a slot: that slot's) manifest on the first target, when it has one (a cache of source hashes). */
  cached?: { id: string; manifest: Manifest }
  timings: Record<string, number>
  /** Removes the extracted copy (idempotent). */
  dispose(): void
}

export async function prepareSource(o: {
  source: string
  shared: string[]
  tmpDir: string
  targets: readonly Target[]
  allowEmpty?: boolean
  /** The slot the release goes to (a name; `idle` unresolved reads current's). */
  slot?: string
}): Promise<PreparedSource> {
  const { timings, time } = phaseTimer()
  const invalid = `Input 'source' has invalid value '${o.source}'`
  let extracted: string | undefined
  const dispose = () => {
    if (extracted) rmSync(extracted, { recursive: true, force: true })
    extracted = undefined
  }
  try {
    const kind = sourceKind(o.source)
    if (kind === 'tar.gz') extracted = await time('extract', () => extractTarball(o.source, o.tmpDir))
    const dir = extracted ?? o.source
    // Read without the lock: it is only a cache of source hashes, right for whatever source stat it records.
    const cached = o.targets[0] ? await previousManifest(o.targets[0], o.slot) : undefined
    const manifest = await time('manifest', async () => buildManifest(dir, o.shared, cached?.manifest))
    if (!o.allowEmpty && manifest.files === 0 && !Object.values(manifest.entries).some((e) => e.type === 'symlink')) {
      throw new InputError(
        `${invalid}: it holds no files; expected a release with files, or allow-empty: true to ship an empty one`
      )
    }
    return { dir, manifest, cached, timings, dispose }
  } catch (e) {
    dispose()
    if (e instanceof SourceError) throw new InputError(e.message)
    if (e instanceof ManifestError) throw new InputError(`${invalid}: ${e.message}`)
    throw e
  }
}

async function previousManifest(
  t: ReleaseStore & ReleaseSwitch,
  slot: string | undefined
): Promise<{ id: string; manifest: Manifest } | undefined> {
  try {
    const id = (slot && isSlotName(slot) ? await t.slot(slot) : undefined) ?? (await t.current())
    const manifest = id ? await t.readManifest(id) : undefined
    return id && manifest ? { id, manifest } : undefined
  } catch {
    return undefined
  }
}
