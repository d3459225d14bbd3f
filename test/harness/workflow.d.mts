import type { Annotation } from './runner.d.mts'
import type { CacheService } from './workflow/cache-service.d.mts'

export class WorkflowError extends Error {}
export const GANTRY_REPO: string

export interface WorkflowRunOptions {
  /** An absolute file, or a reference as a caller writes it: `owner/repo/.github/workflows/x.yml@ref`, `./.github/workflows/x.yml`, `$/…`. */
  workflow: string
  /** push (default), workflow_dispatch, or workflow_call (start at a reusable workflow, inputs checked as a call's). */
  event?: 'push' | 'pull_request' | 'workflow_dispatch' | 'workflow_call'
  payload?: unknown
  inputs?: Record<string, string | number | boolean>
  /** The repository's secrets (for workflow_call: the secrets the call passes). */
  secrets?: Record<string, string>
  vars?: Record<string, string>
  /** Per environment: its secrets and variables, available to a job that names it. */
  environments?: Record<string, { secrets?: Record<string, string>; vars?: Record<string, string> }>
  /** The caller's repository (github.repository); default acme/shop. */
  repository?: string
  sha?: string
  ref?: string
  runId?: string
  runAttempt?: string
  token?: string
  apiUrl?: string
  /** Trees of repositories: a directory (every ref), or ref → directory ('*' for any other ref). gantry-dev/gantry defaults to this checkout. */
  trees?: Record<string, string | Record<string, string>>
  /**
   * The Actions cache service stand-in (./workflow/cache-service.mjs): true starts one for the run and closes it at
   * the end; a started one (its `start()`) is shared, e.g. by two runs that must hit. Its env reaches every step.
   */
  cacheService?: boolean | CacheService
  /** One RUNNER_TEMP (and runner.temp) for every job, emptied as each starts, as on a hosted runner; default one per job. */
  runnerTemp?: string
  /** Extra environment for every step (e.g. PATH). */
  env?: Record<string, string>
  workDir?: string
  signal?: AbortSignal
  log?: (line: string) => void
  onStep?: (e: { job: string; step: StepRecord }) => void
}

export interface StepRecord {
  id?: string
  name: string
  uses?: string
  run?: boolean
  inputs?: Record<string, string>
  outcome?: 'success' | 'failure' | 'cancelled' | 'skipped'
  conclusion?: 'success' | 'failure' | 'cancelled' | 'skipped'
  outputs?: Record<string, string>
  stdout?: string
  stderr?: string
  summary?: string
  annotations?: Annotation[]
  code?: number
  post?: { code: number; stdout: string; stderr: string; summary: string; annotations: Annotation[] }
  checkout?: { repository: string; ref: string; path: string }
  artifact?: { name: string; files: string[] }
  'setup-node'?: { requested: string; used: string }
}

export interface JobRecord {
  workflow: string
  path: string[]
  id: string
  name: string
  result: 'success' | 'failure' | 'cancelled' | 'skipped'
  outputs: Record<string, string>
  environment?: { name: string; url?: string }
  concurrency?: { group: string; cancelInProgress: boolean }
  permissions?: unknown
  steps?: StepRecord[]
  uses?: string
  resolved?: { repo: string; ref: string; path: string }
  jobs?: Record<string, JobRecord>
}

export interface WorkflowRun {
  result: 'success' | 'failure' | 'cancelled'
  outputs: Record<string, string>
  jobs: Record<string, JobRecord>
  records: JobRecord[]
  workDir: string
  /** The runner's own time (parse, evaluate, bookkeeping), actions excluded, and the steps it covers. */
  runnerCost: { steps: number; ms: number }
  elapsedMs: number
  /** Text with every secret and ::add-mask:: value replaced by ***. */
  mask(s: string): string
}

export function runWorkflow(options: WorkflowRunOptions): Promise<WorkflowRun>
export function allSteps(run: WorkflowRun): (StepRecord & { job: string })[]
