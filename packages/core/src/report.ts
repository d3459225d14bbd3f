/**
 * Every action writes a job-summary section and a JSON report (`"schema": 1`);
 * both pass through the redaction of mask.ts (the report value by value,
 * before JSON encoding, then as text) so no registered secret reaches a file.
 */
import * as core from '@actions/core'
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile, rename } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redact, redactedJson } from './mask.js'
import type { ActionName } from './names.js'

export const REPORT_SCHEMA = 1

export interface ReportEnvelope {
  schema: typeof REPORT_SCHEMA
  action: ActionName
  ok: boolean
  startedAt: string
  finishedAt: string
  durationMs: number
  [key: string]: unknown
}

export function reportDir(): string {
  return join(process.env.RUNNER_TEMP || tmpdir(), 'gantry')
}

/** Writes the JSON report atomically and returns its path. */
export async function writeReport(
  action: ActionName,
  startedAt: Date,
  ok: boolean,
  body: Record<string, unknown>
): Promise<string> {
  const finished = new Date()
  const envelope: ReportEnvelope = {
    schema: REPORT_SCHEMA,
    action,
    ok,
    startedAt: startedAt.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - startedAt.getTime(),
    ...body
  }
  const dir = reportDir()
  await mkdir(dir, { recursive: true })
  const stamp = finished
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  const file = join(dir, `${action}-${stamp}-${randomBytes(3).toString('hex')}.json`)
  const tmp = `${file}.tmp`
  await writeFile(tmp, redactedJson(envelope, 2) + '\n')
  await rename(tmp, file)
  return file
}

/** Appends a Markdown section to the job summary (a no-op outside the runner). */
export async function writeSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) {
    core.info(redact(markdown))
    return
  }
  await core.summary.addRaw(redact(markdown), true).addEOL().write()
}
