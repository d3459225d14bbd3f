/**
 * What main hands the post step: per unit its key, whether it hit, its output
 * globs and its input index. The index can be megabytes (one line per input
 * file) while step state travels in an environment variable, so the plan is a
 * file under RUNNER_TEMP and the state holds only its path.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { UserError } from '@gantry/core'
import type { BackendValues } from './backends/registry.js'
import type { PlannedUnit } from './save.js'

export interface Handoff {
  schema: 1
  root: string
  /** The backend inputs as main parsed them, and the directory they resolve against. */
  backend: BackendValues
  cwd: string
  units: PlannedUnit[]
}

export async function writeHandoff(dir: string, h: Handoff): Promise<string> {
  await mkdir(dir, { recursive: true })
  const file = join(dir, `plan-${randomBytes(6).toString('hex')}.json`)
  await writeFile(file, JSON.stringify(h))
  return file
}

export async function readHandoff(file: string): Promise<Handoff> {
  let h: Handoff
  try {
    h = JSON.parse(await readFile(file, 'utf8')) as Handoff
  } catch (e) {
    throw new UserError(
      `build-cache: the plan main left for the post step (${file}) is unreadable: ${(e as Error).message}`
    )
  }
  if (h?.schema !== 1 || !Array.isArray(h.units)) {
    throw new UserError(`build-cache: the plan main left for the post step (${file}) has an unknown layout`)
  }
  return h
}
