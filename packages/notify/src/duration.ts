/**
 * Duration: `started` leaves a marker in RUNNER_TEMP and a later status in the
 * same job reads it back. RUNNER_TEMP is per job, so a result notified from
 * another job has no duration (rather than a wrong one).
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

function markerPath(environment: string | undefined, env: NodeJS.ProcessEnv): string {
  const key = createHash('sha256')
    .update(`${env.GITHUB_REPOSITORY ?? ''}\0${env.GITHUB_RUN_ID ?? ''}\0${environment ?? ''}`)
    .digest('hex')
    .slice(0, 16)
  return join(env.RUNNER_TEMP || tmpdir(), 'gantry', `notify-started-${key}.json`)
}

export async function markStarted(environment: string | undefined, now = new Date(), env = process.env): Promise<void> {
  const file = markerPath(environment, env)
  await mkdir(join(file, '..'), { recursive: true })
  await writeFile(`${file}.tmp`, JSON.stringify({ startedAt: now.toISOString() }))
  await rename(`${file}.tmp`, file)
}

export async function durationSinceStarted(
  environment: string | undefined,
  now = new Date(),
  env = process.env
): Promise<number | undefined> {
  try {
    const { startedAt } = JSON.parse(await readFile(markerPath(environment, env), 'utf8')) as { startedAt?: string }
    const t = startedAt ? Date.parse(startedAt) : NaN
    return Number.isNaN(t) || t > now.getTime() ? undefined : now.getTime() - t
  } catch {
    return undefined
  }
}
