import type { WorkflowRun, WorkflowRunOptions } from './workflow.d.mts'

export const SAMPLE_REPO: string

export interface SampleWorld {
  work: string
  /** The sample app's repository tree (acme/sample). */
  project: string
  /** The deploy target's path: releases/, current, .gantry/. */
  base: string
  appUrl: string
  webhook: string
  received: { ok: boolean; body: Record<string, unknown> & { status: string; releaseId: string | null } }[]
  sha: string
  vars: Record<string, string>
  secrets: Record<string, string>
  /** A new commit: release.json says what to build. */
  commit(release: { version: string; broken?: boolean; slow?: number }): void
  /** A workflow of the sample app (ship.yml, rollback.yml) as workflow_dispatch, or a reference owner/repo/path@ref. */
  run(file: string, options?: Partial<WorkflowRunOptions>): Promise<WorkflowRun>
  stop(): Promise<void>
}

export function startSampleWorld(opts?: { keep?: boolean; log?: (line: string) => void }): Promise<SampleWorld>
